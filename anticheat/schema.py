"""OpenAPI descriptions of the moderation answers: the success envelope around ``shapes``."""

from __future__ import annotations

from scoreboard_project.schema import envelope

from .shapes import FlagData, FlagListData, ModeratedUserData, PlayerHistoryData

USER_RESPONSE = envelope("ModeratedUserResponse", ModeratedUserData)
FLAG_RESPONSE = envelope("FlagResponse", FlagData)
FLAGS_RESPONSE = envelope("FlagListResponse", FlagListData)
HISTORY_RESPONSE = envelope("PlayerHistoryResponse", PlayerHistoryData)
