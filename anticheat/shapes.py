"""The moderation answers' shapes (``scoreboard_project.shapes``: the schema is generated from them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypedDict

from accounts.models import User
from accounts.shapes import UserSummary
from leaderboard.models import ScoreHistory
from scoreboard_project.shapes import Doc, UUIDText

from .models import Flag


class ModeratedUser(UserSummary):
    """The contract's ``user`` plus ``status``."""

    status: User.Status


class ModeratedUserData(TypedDict):
    user: ModeratedUser


class FlagData(TypedDict):
    id: int
    user_id: UUIDText
    username: str
    reason: str
    evidence: Any
    score_increment: int
    score_history_id: int | None
    created_at: datetime
    status: Flag.Status
    resolved_at: datetime | None
    resolved_by: UUIDText | None
    resolution_note: str


class FlagListData(TypedDict):
    flags: list[FlagData]


class HistoryEntry(TypedDict):
    id: int
    kind: ScoreHistory.Kind
    increment: int
    previous_score: int
    new_score: int
    action_id: UUIDText | None
    action_type: str
    reference: str
    completion_time_ms: int | None
    server_elapsed_ms: int | None
    signature: str
    reverses: Annotated[int | None, Doc("id of the entry this one reverses")]
    completed_by: UUIDText | None
    note: str
    created_at: datetime
    hash: Annotated[str, Doc("SHA-256 chained over the player's previous row (docs/ledger.md)")]


class PlayerHistoryData(TypedDict):
    user: ModeratedUser
    history: list[HistoryEntry]
