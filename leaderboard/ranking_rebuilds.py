"""The ranking store's switch and its repairs: which store answers, stale marks, rebuilds.

Any Redis error on a write marks that board stale (``mark_stale``), and a stale or missing
board is rebuilt from PostgreSQL (``rebuild_board``) by the first reader that gets the
rebuild lock; everyone else reads SQL meanwhile. The reads (``ranking.py``) and the writes
(``ranking_writes.py``) build on this module.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import cast

import redis
from django.conf import settings
from django.db import connection, transaction

from accounts.ranks import ranked_players
from scoreboard_project.redis_client import redis_configured

from .models import ScoreHistory
from .periods import TIMED_PERIODS, Period, Window, to_micros, window_for
from .redis_store import APPLIED_RETENTION_S, RedisBoard
from .sql_store import SqlBoard

logger = logging.getLogger("scoreboard.ranking")
REDIS_ERRORS = (redis.RedisError, OSError)

_stale_lock = threading.Lock()
_pending_stale: set[str] = set()  # buckets whose ready marker could not be removed yet
_reconciled_at: dict[str, float] = {}  # bucket -> monotonic time of this process's last check (ranking.py)


def redis_store_enabled() -> bool:
    return redis_configured() and settings.LEADERBOARD_STORE != "sql"


def mark_stale(window: Window) -> None:
    """The board missed a write: it must be rebuilt before it is read again."""
    with _stale_lock:
        _pending_stale.add(window.bucket)
    try:
        flush_stale()
    except REDIS_ERRORS:
        logger.warning("Ranking %s is stale; Redis unreachable, will retry", window.bucket)


def stale_marks_pending() -> bool:
    """A board missed a write and its stale mark is not in Redis yet (Redis was unreachable)."""
    return bool(_pending_stale)


def flush_stale() -> None:
    with _stale_lock:
        pending = list(_pending_stale)
    for bucket in pending:
        RedisBoard(_window_of_bucket(bucket)).mark_stale()
        with _stale_lock:
            _pending_stale.discard(bucket)


def _window_of_bucket(bucket: str) -> Window:
    if bucket == "all":
        return window_for("all")
    period, _, label = bucket.partition(":")
    for candidate in (
        window_for(cast(Period, period), datetime.now(UTC) - timedelta(days=d)) for d in range(40)
    ):
        if candidate.bucket == bucket:
            return candidate
    return Window(period, None, None, bucket)  # type: ignore[arg-type]


# --- rebuilds ---------------------------------------------------------------------------
def rebuild_board(window: Window, *, wait: bool = False) -> bool:
    """Load ``window``'s board from the database. False when someone else is rebuilding it."""
    board = RedisBoard(window)
    token = str(datetime.now(UTC).timestamp())
    if not board.client.set(board.keys.lock, token, nx=True, px=30_000):
        if not wait:
            return False
        board.client.delete(board.keys.lock)
        board.client.set(board.keys.lock, token, px=30_000)
    try:
        started = datetime.now(UTC)
        recent_since = started - timedelta(seconds=APPLIED_RETENTION_S // 2)
        rows, applied = _snapshot(window, recent_since)
        board.load(rows, applied)
        _catch_up(board, window, recent_since)
        _reconciled_at[window.bucket] = time.monotonic()  # just loaded from the database
        logger.info("Rebuilt ranking %s: %d players", window.bucket, len(rows))
        return True
    finally:
        if board.client.get(board.keys.lock) == token:
            board.client.delete(board.keys.lock)


def _relevant_rows(window: Window, since: datetime):
    """Ledger rows written since ``since`` that move this board."""
    rows = ScoreHistory.objects.filter(created_at__gte=since, board__isnull=True).select_related(
        "user", "reverses"
    )
    relevant = []
    for row in rows:
        when = bucket_time(row)
        if window.start is None or (
            when is not None and window.end is not None and window.start <= when < window.end
        ):
            relevant.append(row)
    return relevant


def bucket_time(row: ScoreHistory) -> datetime | None:
    """A period counts an action when it was written; a void where its action was."""
    if row.kind == ScoreHistory.Kind.VOID:
        return row.reverses.created_at if row.reverses is not None else None
    return row.created_at


def _snapshot(window: Window, recent_since: datetime) -> tuple[list[tuple[str, int, int]], list[int]]:
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            # One snapshot for the totals and the ids they include (see _catch_up).
            connection.cursor().execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        applied = [] if window.start is None else [row.id for row in _relevant_rows(window, recent_since)]
        return SqlBoard(window).everyone(), applied


def _catch_up(board: RedisBoard, window: Window, since: datetime) -> None:
    """Writes that committed while the snapshot was read were skipped (no ready marker)."""
    if window.start is None:
        for uid, score, moment in (
            ranked_players()
            .filter(score_updated_at__gte=since)
            .values_list("id", "score", "score_updated_at")
        ):
            board.set_absolute(str(uid), score, to_micros(moment))
        return
    for row in _relevant_rows(window, since):
        if row.user.is_ranked:
            increment_row(board, row)


def increment_row(board: RedisBoard, row: ScoreHistory, *, on: redis.client.Pipeline | None = None) -> None:
    is_action = row.kind == ScoreHistory.Kind.ACTION
    when = (
        row.created_at
        if is_action
        else (row.reverses.created_at if row.reverses is not None else row.created_at)
    )
    board.increment(str(row.user_id), row.increment, to_micros(when), row.id, touch=is_action, on=on)


def rebuild_all() -> list[str]:
    """Every current board, now (the ``rebuild_leaderboard`` command)."""
    done = []
    for period in ("all", *TIMED_PERIODS):
        window = window_for(period)
        rebuild_board(window, wait=True)
        done.append(window.bucket)
    return done
