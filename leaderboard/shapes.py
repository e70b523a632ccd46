"""The leaderboard's response shapes (``scoreboard_project.shapes``: the schema is generated from them).

Keys are snake_case like every shape. ``Entry`` is also the rows of the real-time top 10,
which the broadcaster serializes once per update with orjson: it camelCases them there
(``scoreboard_project.case.camel_rows``), the renderer does it for the REST answers.
"""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from scoreboard_project.shapes import Doc, TimeText, UUIDText

from .periods import Period

DISPLAY_NAME = Doc("what the boards show; the username when none is set")


class Entry(TypedDict):
    rank: Annotated[int, Doc("1 + the number of players with a strictly higher score")]
    user_id: UUIDText
    username: str
    display_name: Annotated[str, DISPLAY_NAME]
    score: int
    updated_at: Annotated[TimeText, Doc("when the player reached this score")]


class LeaderboardTop(TypedDict):
    leaderboard: list[Entry]
    last_updated: Annotated[TimeText, Doc("when any ranked score last moved")]
    period: Period
    total_players: int


class LeaderboardAround(TypedDict):
    leaderboard: Annotated[
        list[Entry], Doc("the caller's entry with up to `radius` entries before and after it")
    ]
    me: Annotated[Entry, Doc("the caller's entry")]


class _Player(TypedDict):
    user_id: UUIDText
    username: str
    display_name: Annotated[str, DISPLAY_NAME]
    score: int


class PlayerScore(_Player):
    rank: int
    percentile: Annotated[float, Doc("100 * (totalPlayers - rank) / totalPlayers, one decimal")]


class MyScore(_Player):
    rank: Annotated[int | None, Doc("null for an account not on the leaderboards")]
    percentile: Annotated[float | None, Doc("null for an account not on the leaderboards")]
    total_actions: int


class FriendRecord(TypedDict):
    rank: Annotated[int, Doc("rank among the caller and their friends (ties share it)")]
    board_rank: Annotated[int, Doc("rank on the whole board")]
    user_id: UUIDText
    username: str
    display_name: str
    score: int
    metadata: Annotated[dict[str, Any], Doc("the record's metadata; empty on the global board")]
    updated_at: TimeText


class FriendRecords(TypedDict):
    records: list[FriendRecord]
