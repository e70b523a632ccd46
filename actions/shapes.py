"""The action answers' shapes (``scoreboard_project.shapes``: the schema is generated from them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, TypedDict

from leaderboard.shapes import Entry
from scoreboard_project.shapes import Doc, UUIDText


class ActionType(TypedDict):
    action_type: str
    points: int
    min_duration_ms: int
    max_duration_ms: int
    repeatable: bool
    authoritative: Annotated[bool, Doc("only a caller with role `system` may complete it")]
    daily_limit: Annotated[
        int | None, Doc("completions per player per UTC day (counted at request); null: none of its own")
    ]
    references: Annotated[list[str] | None, Doc("the allowed references; null: any")]


class ActionTypes(TypedDict):
    action_types: list[ActionType]


class IssuedAction(TypedDict):
    action_token: Annotated[str, Doc("signed action token, accepted once")]
    action_id: UUIDText
    expires_at: datetime
    expected_score: Annotated[int, Doc("the points completing the action scores")]
    proof_key: Annotated[str, Doc("hex key of the proof's HMAC-SHA256 checksum")]


class Completion(TypedDict):
    action_id: UUIDText
    score_increment: int
    previous_score: int
    new_score: int
    rank: Annotated[int | None, Doc("null when the owner is not on the leaderboards")]
    previous_rank: int | None
    rank_change: Annotated[
        int | None, Doc("previousRank - rank (positive: moved up); null when either rank is null")
    ]
    message: str


class ScoreboardUpdate(Completion):
    user_id: Annotated[UUIDText, Doc("the player the score went to")]
    leaderboard: Annotated[list[Entry], Doc("the current all-time top 10")]
