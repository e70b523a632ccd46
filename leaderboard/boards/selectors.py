"""Named leaderboard reads: boards, record pages, around-me and finished periods.

``global`` is the built-in board over the all-time ranking; every other key is a
``Leaderboard`` row. Each read runs on the Redis set of the (board, period) when it is
ready, else (or when Redis fails mid-read) on SQL, with the same rows and ranks.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.apps import apps

from accounts.models import User
from accounts.ranks import ranked_players
from scoreboard_project.errors import NotFound, ValidationFailed
from scoreboard_project.times import iso_z, iso_z_micros

from .. import ranking
from ..periods import window_for
from ..ranking import redis_store_enabled
from ..redis_store import RedisBoard
from ..rows import Row
from . import clock, store
from .cursors import cursor_decode, cursor_encode
from .definitions import board_lookup, boards_all
from .models import Leaderboard, LeaderboardPeriod, LeaderboardRecord
from .names import display_name_of
from .periods import period_at, period_window
from .record_rows import Found, names_and_metadata
from .redis_pages import Position, around_after, page_after, ranks_among_others
from .redis_records import players_of
from .schedule import PeriodWindow, period_start_of
from .shapes import BoardData, BoardList, PeriodData, RecordData, RecordsAround, RecordsPage
from .sql_pages import SqlRanking

GLOBAL_KEY = "global"
T = TypeVar("T")


@dataclass(frozen=True)
class Target:
    """One period of one board: ``board`` is None for ``global``."""

    key: str
    board: Leaderboard | None
    period: PeriodWindow | None

    @property
    def period_id(self) -> str:
        return "all" if self.period is None else self.period.id

    def period_data(self) -> PeriodData:
        if self.period is None:
            return {"id": "all", "startsAt": None, "endsAt": None}
        end = iso_z(self.period.end) if self.period.end else None
        return {"id": self.period.id, "startsAt": iso_z(self.period.start), "endsAt": end}

    @property
    def score_from_rank(self) -> Callable[[int], int]:
        return operator.pos if self.board is None else self.board.score_from_rank

    def score_of(self, rank_score: int) -> int:
        return self.score_from_rank(rank_score)

    def sql(self) -> SqlRanking:
        if self.board is None:
            return SqlRanking(ranked_players(), "score", "score_updated_at", "id")
        assert self.period is not None  # a named board always has a period
        return SqlRanking(
            store.ranked_records(self.board.pk, self.period.start), "rank_score", "reached_at", "user_id"
        )

    def fast(self, *, checked: bool = True) -> RedisBoard | None:
        if self.board is None:
            found = ranking.board_for(window_for("all"))
            return found if isinstance(found, RedisBoard) else None
        assert self.period is not None
        return store.redis_board(self.board.pk, self.period, checked=checked)

    def read(self, query: Callable[[Any], T]) -> T:
        """``query`` on the Redis set when ready, else on SQL (also when Redis fails)."""
        fast = self.fast()
        if fast is not None:
            try:
                return query(fast)
            except store.REDIS_ERRORS as exc:
                store.logger.warning("Board read falls back to SQL: %s", exc)
        return query(self.sql())

    def page(self, after: Position | None, limit: int) -> tuple[list[Row], int]:
        """A keyset page in one Redis call when the set is ready (its script checks), else
        after a rebuild, else on SQL."""
        fast = self.fast(checked=False)
        if fast is not None:
            try:
                found = page_after(fast, after, limit)
                if (
                    found is None
                    and self.board is not None
                    and self.period is not None
                    and store.rebuild(self.board.pk, self.period)
                ):
                    found = page_after(fast, after, limit)
                if found is not None:
                    return found
            except store.REDIS_ERRORS as exc:
                store.logger.warning("Board read falls back to SQL: %s", exc)
        return self.sql().page_after(after, limit)


# --- boards and periods -------------------------------------------------------------------
def board_get(key: str) -> Leaderboard:
    """The board ``key`` (shared by the process' threads: read it, never change it)."""
    board = board_lookup(key)
    if board is None:
        raise NotFound("No such leaderboard.")
    return board


def target_for(key: str, period: str = "current") -> Target:
    """The board ``key`` at ``period`` (``current`` or a period id); 404 for neither."""
    if key == GLOBAL_KEY:
        if period not in ("current", "all"):
            raise NotFound("No such period.")
        return Target(key, None, None)
    board = board_get(key)
    if period == "current":
        return Target(key, board, period_at(board, clock.now()))
    start = period_start_of(period)
    if start is None:
        raise ValidationFailed(details={"period": ["Expected `current` or a period id."]})
    current = period_at(board, clock.now())
    known = start == current.start or (
        start < current.start
        and (
            LeaderboardPeriod.objects.filter(board=board, starts_at=start).exists()
            or LeaderboardRecord.objects.filter(board=board, period_start=start).exists()
        )
    )
    if not known:
        raise NotFound("No such period.")
    return Target(key, board, period_window(board, start))


def _global_data() -> BoardData:
    codes = list(
        apps.get_model("actions", "ActionType").objects.filter(enabled=True).values_list("code", flat=True)
    )
    target = Target(GLOBAL_KEY, None, None)
    return {
        "key": GLOBAL_KEY,
        "name": "Global",
        "operator": Leaderboard.Operator.INCR,
        "sortOrder": Leaderboard.SortOrder.DESC,
        "actionTypes": codes,
        "resetSchedule": None,
        "timezone": "UTC",
        "startsAt": None,
        "endsAt": None,
        "totalPlayers": target.read(lambda r: r.total()),
        "period": target.period_data(),
    }


def board_data(
    board: Leaderboard, *, total: int | None = None, period: PeriodWindow | None = None
) -> BoardData:
    target = Target(board.key, board, period or period_at(board, clock.now()))
    return {
        "key": board.key,
        "name": board.name,
        "operator": Leaderboard.Operator(board.operator),
        "sortOrder": Leaderboard.SortOrder(board.sort_order),
        "actionTypes": list(board.action_types),
        "resetSchedule": board.reset_schedule or None,
        "timezone": board.timezone,
        "startsAt": iso_z(board.starts_at) if board.starts_at else None,
        "endsAt": iso_z(board.ends_at) if board.ends_at else None,
        "totalPlayers": target.read(lambda r: r.total()) if total is None else total,
        "period": target.period_data(),
    }


def board_detail(key: str) -> BoardData:
    return _global_data() if key == GLOBAL_KEY else board_data(board_get(key))


def boards_list() -> BoardList:
    boards, now = boards_all(), clock.now()
    periods = [(b.pk, period_at(b, now)) for b in boards]
    totals = store.current_totals(periods, {b.pk for b in boards if not b.has_records})
    return {
        "leaderboards": [
            _global_data(),
            *(board_data(b, total=totals[b.pk], period=p) for b, (_, p) in zip(boards, periods, strict=True)),
        ]
    }


# --- records ------------------------------------------------------------------------------
def _players(target: Target, ids: list[str]) -> Found:
    """The names and metadata of ``ids``: from Redis (one pipeline) when the board's set is
    there, else one query."""
    if ids and redis_store_enabled():
        try:
            found = players_of(None if target.board is None else target.fast(checked=False), ids)
            if found is not None:
                return found
        except store.REDIS_ERRORS as exc:
            store.logger.warning("Board read falls back to SQL: %s", exc)
    return names_and_metadata(
        None if target.board is None else target.board.pk,
        None if target.period is None else target.period.start,
        ids,
    )


def records_for(target: Target, rows: list[Row]) -> list[RecordData]:
    """The contract's records for ``rows``, in their order (one pipeline or one query)."""
    found = _players(target, [row.user_id for row in rows])
    score_of = target.score_from_rank
    records: list[RecordData] = []
    for row in rows:
        player = found.get(row.user_id)
        if player is not None:
            records.append(
                {
                    "rank": row.rank,
                    "userId": row.user_id,
                    "username": player["username"],
                    "displayName": display_name_of(player),
                    "score": score_of(row.score),
                    "metadata": player["metadata"],
                    "updatedAt": iso_z_micros(row.updated_at_us),
                }
            )
    return records


def records_page(
    *, key: str, period: str = "current", cursor: str | None = None, limit: int = 50
) -> RecordsPage:
    target = target_for(key, period)
    after = cursor_decode(cursor, board_key=key, period_id=target.period_id) if cursor else None

    rows, total = target.page(after, limit)
    next_cursor = None
    if len(rows) == limit and rows[-1].position + 1 < total:  # null on the last page, a full one too
        last = rows[-1]
        next_cursor = cursor_encode(
            board_key=key,
            period_id=target.period_id,
            after=Position(last.score, last.updated_at_us, last.user_id),
        )
    return {
        "records": records_for(target, rows),
        "nextCursor": next_cursor,
        "totalPlayers": total,
        "period": target.period_data(),
    }


def records_around(*, key: str, user: User, period: str = "current", radius: int = 5) -> RecordsAround | None:
    """The caller's record with up to ``radius`` positions before and after; None if absent."""
    target = target_for(key, period)
    if not user.is_ranked:
        return None

    def query(source) -> list[Row]:
        if isinstance(source, RedisBoard):
            found = around_after(source, str(user.pk), radius)
            if found is not None:
                return found
        mine = source.standing(str(user.pk))
        if mine is None:
            return []
        start = max(0, mine.position - radius)
        return source.top(offset=start, limit=mine.position - start + radius + 1)

    records = records_for(target, target.read(query))
    me = next((record for record in records if record["userId"] == str(user.pk)), None)
    return None if me is None else {"records": records, "me": me}


def record_standing(target: Target, user_id: str) -> Row | None:
    return target.read(lambda source: source.standing(user_id))


def ranks_for(target: Target, rank_scores: list[int], *, exclude_user_id: str) -> list[int]:
    """The rank each rank score would have among the other players (one read)."""

    fast = target.fast(checked=False)  # the script checks the set is ready: one round trip
    if fast is not None:
        try:
            found = ranks_among_others(fast, exclude_user_id, rank_scores)
            if found is not None:
                return found
        except store.REDIS_ERRORS as exc:
            store.logger.warning("Board read falls back to SQL: %s", exc)
    sql = target.sql()
    return [sql.rank_for(score, exclude_user_id=exclude_user_id) for score in rank_scores]
