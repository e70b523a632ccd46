"""OpenAPI descriptions of the action answers: the success envelope around ``shapes``."""

from __future__ import annotations

from scoreboard_project.schema import envelope
from scoreboard_project.shapes import serializer_for

from .shapes import ActionTypes, Completion, IssuedAction, ScoreboardUpdate

ACTION_TYPES_RESPONSE = envelope("ActionTypesResponse", serializer_for(ActionTypes)())
ISSUED_ACTION_RESPONSE = envelope("IssuedActionResponse", serializer_for(IssuedAction)())
COMPLETION_RESPONSE = envelope("CompletionResponse", serializer_for(Completion)())
SCOREBOARD_UPDATE_RESPONSE = envelope("ScoreboardUpdateResponse", serializer_for(ScoreboardUpdate)())
