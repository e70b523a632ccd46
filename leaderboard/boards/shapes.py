"""The named boards' response shapes (``scoreboard_project.shapes``: the schema is generated from them).

Their keys are camelCase: these answers are written as built (orjson, ``views.MetadataKeepingRenderer``),
which keeps each record's ``metadata`` as the game server sent it and spares a 1,000-record page the
recursive camelCasing. The schema's camelize hook leaves camelCase names as they are.
"""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from scoreboard_project.shapes import Doc, TimeText, UUIDText

from .models import Leaderboard


class PeriodData(TypedDict):
    id: Annotated[str, Doc("opaque period id (`all` on the global board)")]
    startsAt: TimeText | None
    endsAt: Annotated[TimeText | None, Doc("null: the board never resets and has no end")]


class BoardData(TypedDict):
    key: str
    name: str
    operator: Leaderboard.Operator
    sortOrder: Leaderboard.SortOrder
    actionTypes: list[str]
    resetSchedule: Annotated[str | None, Doc("5-field cron in `timezone`")]
    timezone: Annotated[str, Doc("IANA time zone name")]
    startsAt: TimeText | None
    endsAt: TimeText | None
    totalPlayers: int
    period: Annotated[PeriodData, Doc("the current period")]


class BoardList(TypedDict):
    leaderboards: list[BoardData]


class RecordData(TypedDict):
    rank: Annotated[int, Doc("1 + the number of players with a strictly better score")]
    userId: UUIDText
    username: str
    displayName: str
    score: int
    metadata: Annotated[dict[str, Any], Doc("as the game server sent it")]
    updatedAt: Annotated[TimeText, Doc("when the player reached this score")]


class WrittenRecord(RecordData):
    previousScore: Annotated[int | None, Doc("null for the player's first record")]
    previousRank: int | None


class RecordsPage(TypedDict):
    records: list[RecordData]
    nextCursor: Annotated[str | None, Doc("null on the last page")]
    totalPlayers: int
    period: PeriodData


class RecordsAround(TypedDict):
    records: list[RecordData]
    me: RecordData


class FinishedPeriod(PeriodData):
    totalPlayers: int
    top: Annotated[list[RecordData], Doc("the first 3 records")]


class PeriodsPage(TypedDict):
    periods: list[FinishedPeriod]
    nextCursor: str | None
