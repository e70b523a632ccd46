"""The ranking store behind the selectors: Redis sorted sets, with SQL as the fallback.

With REDIS_URL the boards live in Redis (``redis_store``) and are written on commit:
all time by setting the score the database returned (idempotent, ordered by time),
periods by adding increments once per ledger row. Any Redis error on a write marks
that board stale, and a stale or missing board is rebuilt from PostgreSQL by the first
reader that gets the rebuild lock; everyone else reads SQL meanwhile. Without
REDIS_URL (or with ``settings.LEADERBOARD_STORE = "sql"``) the SQL store answers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max

from accounts.models import User
from accounts.ranks import ranked_players
from scoreboard_project.redis_client import get_redis, redis_configured, redis_key
from scoreboard_project.times import iso_z

from .models import ScoreHistory
from .periods import TIMED_PERIODS, Period, Window, to_micros, window_for
from .redis_store import APPLIED_RETENTION_S, RedisBoard, banned_key
from .rows import Board
from .sql_store import SqlBoard

logger = logging.getLogger("scoreboard.ranking")
REDIS_ERRORS = (redis.RedisError, OSError)
T = TypeVar("T")

_stale_lock = threading.Lock()
_pending_stale: set[str] = set()  # buckets whose ready marker could not be removed yet
RECONCILE_EVERY_S = 30.0
_reconciled_at: dict[str, float] = {}  # bucket -> monotonic time of this process's last check


def redis_store_enabled() -> bool:
    return redis_configured() and getattr(settings, "LEADERBOARD_STORE", "auto") != "sql"


def _mark_stale(window: Window) -> None:
    """The board missed a write: it must be rebuilt before it is read again."""
    with _stale_lock:
        _pending_stale.add(window.bucket)
    try:
        _flush_stale()
    except REDIS_ERRORS:
        logger.warning("Ranking %s is stale; Redis unreachable, will retry", window.bucket)


def _flush_stale() -> None:
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
    for candidate in (window_for(period, datetime.now(UTC) - timedelta(days=d)) for d in range(0, 40)):
        if candidate.bucket == bucket:
            return candidate
    return Window(period, None, None, bucket)  # type: ignore[arg-type]


# --- reads ------------------------------------------------------------------------------
def board_for(window: Window, *, allow_rebuild: bool = True) -> Board:
    """The Redis board when it is complete (rebuilding it if needed and allowed), else SQL."""
    if redis_store_enabled():
        try:
            if _pending_stale:
                _flush_stale()
            board = RedisBoard(window)
            if board.is_ready() and allow_rebuild:
                _reconcile_if_due(board, window)
            if board.is_ready() or (allow_rebuild and rebuild_board(window)):
                return board
        except REDIS_ERRORS as exc:
            logger.warning("Ranking read falls back to SQL: %s", exc)
    return SqlBoard(window)


def _reconcile_if_due(board: RedisBoard, window: Window) -> None:
    """Every RECONCILE_EVERY_S per process: a board whose size differs from the number of
    ranked players missed a write (one made while this or another process could not reach
    Redis, whose stale mark died with it) and is marked stale, so it is rebuilt at once.
    """
    now = time.monotonic()
    if now - _reconciled_at.get(window.bucket, 0.0) < RECONCILE_EVERY_S:
        return
    _reconciled_at[window.bucket] = now
    listed, expected = board.total(), SqlBoard(window).total()
    if listed != expected:
        logger.warning("Ranking %s lists %d players, the database %d: rebuilding", window.bucket, listed, expected)
        board.mark_stale()


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
                return stamp
        except REDIS_ERRORS:
            pass
    latest = ranked_players().aggregate(latest=Max("score_updated_at"))["latest"]
    return iso_z(latest or datetime.now(UTC))


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
    rows = ScoreHistory.objects.filter(created_at__gte=since, board__isnull=True).select_related("user", "reverses")
    relevant = []
    for row in rows:
        when = _bucket_time(row)
        if window.start is None or (when is not None and window.start <= when < window.end):
            relevant.append(row)
    return relevant


def _bucket_time(row: ScoreHistory) -> datetime | None:
    """A period counts an action when it was written; a void where its action was."""
    if row.kind == ScoreHistory.Kind.VOID:
        return row.reverses.created_at if row.reverses_id else None
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
        for uid, score, moment in ranked_players().filter(score_updated_at__gte=since).values_list(
            "id", "score", "score_updated_at"
        ):
            board.set_absolute(str(uid), score, to_micros(moment))
        return
    for row in _relevant_rows(window, since):
        if row.user.is_ranked:
            _increment(board, row)


def _increment(board: RedisBoard, row: ScoreHistory) -> None:
    is_action = row.kind == ScoreHistory.Kind.ACTION
    when = row.created_at if is_action else (row.reverses.created_at if row.reverses_id else row.created_at)
    board.increment(str(row.user_id), row.increment, to_micros(when), row.id, touch=is_action)


def rebuild_all() -> list[str]:
    """Every current board, now (the ``rebuild_leaderboard`` command)."""
    done = []
    for period in ("all", *TIMED_PERIODS):
        window = window_for(period)
        rebuild_board(window, wait=True)
        done.append(window.bucket)
    return done


# --- writes (called on commit) ------------------------------------------------------------
def ranking_record_change(entry: ScoreHistory) -> None:
    """Called on commit after a ledger row: bring every ranking set up to date."""
    user = entry.user
    if not redis_store_enabled() or not user.is_ranked:
        return
    all_time = window_for("all")
    _guarded(all_time, lambda b: b.set_absolute(str(user.pk), entry.new_score, to_micros(entry.created_at)))
    when = _bucket_time(entry)
    if when is not None:
        for period in TIMED_PERIODS:
            # ZINCRBY is never retried: a failure marks the board stale and a rebuild counts it.
            _guarded(window_for(period, when), lambda b: _increment(b, entry))
    try:
        pipe = get_redis().pipeline(transaction=False)
        pipe.set(redis_key("lb", "last_change"), iso_z(entry.created_at))
        _bump(pipe)
        pipe.execute()
    except REDIS_ERRORS:
        pass


def ranking_add_player(user: User) -> None:
    """A new player is ranked at once, with 0 on every period board."""
    if not redis_store_enabled() or not user.is_ranked:
        return
    _guarded(window_for("all"), lambda b: b.set_absolute(str(user.pk), user.score, to_micros(user.score_updated_at)))
    for period in TIMED_PERIODS:
        window = window_for(period)
        _guarded(window, lambda b, w=window: b.add_if_absent(str(user.pk), 0, to_micros(w.start)))
    _bump()


def _bump(pipe=None) -> None:
    from .read_cache import bump_version  # imports this module: resolved at call time

    bump_version(pipe)


def _rebroadcast() -> None:
    from . import broadcast  # imports this module: resolved at call time

    transaction.on_commit(broadcast.schedule_leaderboard_broadcast)


def ranking_remove_player(user: User) -> None:
    """A ban: take the player off every leaderboard at once (and off the live top 10)."""
    if redis_store_enabled():
        try:
            # First: no write still in flight for this player may land after the removal.
            get_redis().sadd(banned_key(), str(user.pk))
        except REDIS_ERRORS:
            logger.warning("Could not record the ban of %s in Redis", user.pk)
        for period in ("all", *TIMED_PERIODS):
            _guarded(window_for(period), lambda b: b.remove(str(user.pk)))
        _bump()
    from .boards import store as boards_store  # imports this module: resolved at call time

    boards_store.remove_player(user)  # and off every named board
    _rebroadcast()


def ranking_sync_player(user: User) -> None:
    """After an account edit: on the boards exactly while ranked (a player promoted to
    staff leaves them, a demoted one comes back), whatever path changed the account."""
    if not redis_store_enabled():
        return  # the SQL store reads who is ranked from the accounts themselves
    user.refresh_from_db(fields=["status", "is_staff", "is_superuser", "is_service_account"])
    try:
        listed = RedisBoard(window_for("all")).standing(str(user.pk)) is not None
    except REDIS_ERRORS:
        _mark_stale(window_for("all"))
        return
    if user.is_ranked and not listed:
        ranking_restore_player(user)
    elif not user.is_ranked and listed:
        ranking_remove_player(user)


def ranking_restore_player(user: User) -> None:
    """An unban: the player is back with the score they had."""
    user.refresh_from_db(fields=["score", "score_updated_at", "status"])
    if redis_store_enabled() and user.is_ranked:
        try:
            get_redis().srem(banned_key(), str(user.pk))
        except REDIS_ERRORS:
            logger.warning("Could not lift the ban of %s in Redis", user.pk)
        _guarded(window_for("all"),
                 lambda b: b.set_absolute(str(user.pk), user.score, to_micros(user.score_updated_at)))
        for period in TIMED_PERIODS:
            _mark_stale(window_for(period))  # their period sums come back with the next rebuild
        _bump()
    from .boards import store as boards_store  # imports this module: resolved at call time

    boards_store.restore_player(user)  # and back on every named board
    _rebroadcast()


def _guarded(window: Window, write: Callable[[RedisBoard], object]) -> None:
    try:
        write(RedisBoard(window))
    except REDIS_ERRORS as exc:
        logger.warning("Ranking write to %s failed (%s): marking it stale", window.bucket, exc)
        _mark_stale(window)
