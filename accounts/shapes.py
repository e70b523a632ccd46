"""The accounts answers' shapes (``scoreboard_project.shapes``: the schema is generated from them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, TypedDict

from scoreboard_project.shapes import Doc, UUIDText

from .models import Role


class UserSummary(TypedDict):
    id: UUIDText
    username: str
    display_name: Annotated[str, Doc("what the boards show; the username when none is set")]
    score: int
    rank: int | None
    role: Role


class TokenPair(TypedDict):
    token: Annotated[str, Doc("access token (JWT, 1 hour)")]
    refresh_token: Annotated[str, Doc("refresh token (JWT, 7 days, rotated on use)")]
    expires_at: Annotated[datetime, Doc("expiry of the access token")]


class Session(TokenPair):
    user: UserSummary


class Profile(TypedDict):
    user: UserSummary


class Friend(TypedDict):
    user_id: UUIDText
    username: str
    display_name: str


class Friends(TypedDict):
    friends: list[Friend]
