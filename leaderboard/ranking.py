"""Ranking reads, the store behind the selectors: Redis sorted sets, with SQL as the fallback.

With REDIS_URL the boards live in Redis (``redis_store``) and are written on commit:
all time by setting the score the database returned (idempotent, ordered by time),
periods by adding increments once per ledger row. Any Redis error on a write marks
that board stale, and a stale or missing board is rebuilt from PostgreSQL by the first
reader that gets the rebuild lock; everyone else reads SQL meanwhile. Without
REDIS_URL (or with ``settings.LEADERBOARD_STORE = "sql"``) the SQL store answers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar, cast

from django.db.models import Max

from accounts.models import User
from accounts.ranks import ranked_players
from scoreboard_project.redis_client import get_redis, redis_key
from scoreboard_project.times import iso_z

from . import ranking_rebuilds
from .periods import Period, Window, window_for
from .ranking_rebuilds import (
    REDIS_ERRORS,
    flush_stale,
    rebuild_board,
    redis_store_enabled,
    stale_marks_pending,
)
from .redis_store import RedisBoard
from .rows import Board
from .sql_store import SqlBoard

__all__ = ["REDIS_ERRORS", "board_for", "last_change", "rank_for_score", "read", "redis_store_enabled"]
logger = logging.getLogger("scoreboard.ranking")
T = TypeVar("T")
RECONCILE_EVERY_S = 30.0


# --- reads ------------------------------------------------------------------------------
def board_for(window: Window, *, allow_rebuild: bool = True) -> Board:
    """The Redis board when it is complete (rebuilding it if needed and allowed), else SQL."""
    if redis_store_enabled():
        try:
            if stale_marks_pending():
                flush_stale()
            board = RedisBoard(window)
            ready = board.is_ready()
            if ready and allow_rebuild and _reconcile_if_due(board, window):
                ready = False  # marked stale just now: rebuilt below
            if ready or (allow_rebuild and rebuild_board(window)):
                return board
        except REDIS_ERRORS as exc:
            logger.warning("Ranking read falls back to SQL: %s", exc)
    return SqlBoard(window)


def _reconcile_if_due(board: RedisBoard, window: Window) -> bool:
    """Every RECONCILE_EVERY_S per process: a board whose size differs from the number of
    ranked players missed a write (one made while this or another process could not reach
    Redis, whose stale mark died with it) and is marked stale, so it is rebuilt at once.
    True when it marked the board stale.
    """
    now = time.monotonic()
    if now - ranking_rebuilds._reconciled_at.get(window.bucket, 0.0) < RECONCILE_EVERY_S:
        return False
    ranking_rebuilds._reconciled_at[window.bucket] = now
    listed, expected = board.total(), SqlBoard(window).total()
    if listed != expected:
        logger.warning(
            "Ranking %s lists %d players, the database %d: rebuilding", window.bucket, listed, expected
        )
        board.mark_stale()
        return True
    return False


def read(period: Period, query: Callable[[Board], T], *, allow_rebuild: bool = True) -> T:
    """Run ``query`` on the best board for ``period``; a Redis failure mid-way reads SQL."""
    window = window_for(period)
    board = board_for(window, allow_rebuild=allow_rebuild)
    try:
        return query(board)
    except REDIS_ERRORS as exc:
        logger.warning("Ranking read falls back to SQL: %s", exc)
        return query(SqlBoard(window))


def rank_for_score(user: User, score: int, *, exclude_self: bool = True) -> int | None:
    """The all-time rank ``user`` has (or would have) with ``score``: 1 + strictly higher.

    The player's own entry never counts against itself: before the commit the store may
    still hold their old score. ``exclude_self`` is kept for the callers' signature.
    Called inside the scoring transaction, so it never starts a rebuild.
    """
    del exclude_self
    if not user.is_ranked:
        return None
    return read("all", lambda board: board.rank_for(score, exclude_user_id=str(user.pk)), allow_rebuild=False)


def last_change() -> str:
    """When any ranked score last moved (ISO-8601 Z)."""
    if redis_store_enabled():
        try:
            stamp = get_redis().get(redis_key("lb", "last_change"))
            if stamp:
                return cast(str, stamp)  # decode_responses
        except REDIS_ERRORS:
            pass
    latest = ranked_players().aggregate(latest=Max("score_updated_at"))["latest"]
    return iso_z(latest or datetime.now(UTC))
