"""Ranking writes, called on commit: a ledger row, a new player, a ban, an unban, an account edit.

All time by setting the score the database returned (idempotent, ordered by time),
periods by adding increments once per ledger row; a failed write marks its board stale
(``ranking_rebuilds``). These functions write the ranking sets only: what goes out to the
players is the caller's (``score_effects`` for a ledger row, ``broadcaster.standings_changed``
for the others).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from accounts.models import RANKING_FIELDS, User
from scoreboard_project.redis_client import execute_idempotent, get_redis, redis_key
from scoreboard_project.times import iso_z

from .boards import store as boards_store
from .models import ScoreHistory
from .periods import TIMED_PERIODS, Window, to_micros, window_for
from .ranking_rebuilds import REDIS_ERRORS, bucket_time, increment_row, mark_stale, redis_store_enabled
from .read_cache import bump_version
from .redis_store import RedisBoard, banned_key

logger = logging.getLogger("scoreboard.ranking")


def ranking_record_change(entry: ScoreHistory) -> None:
    """Called on commit after a ledger row: bring every ranking set up to date."""
    user = entry.user
    if not redis_store_enabled() or not user.is_ranked:
        return
    # One pipeline, one round trip for what were five: safe to send again (after a broken
    # connection, or a NOSCRIPT from a restarted Redis), since the all-time write is ordered
    # by time and each period increment is applied once per ledger row (the script's
    # ``applied`` set).
    client = get_redis()
    pipe = client.pipeline(transaction=False)
    all_time = window_for("all")
    written = [all_time]
    RedisBoard(all_time, client).set_absolute(
        str(user.pk), entry.new_score, to_micros(entry.created_at), on=pipe
    )
    when = bucket_time(entry)
    if when is not None:
        for period in TIMED_PERIODS:
            window = window_for(period, when)
            written.append(window)
            increment_row(RedisBoard(window, client), entry, on=pipe)
    pipe.set(redis_key("lb", "last_change"), iso_z(entry.created_at))
    bump_version(pipe)
    try:
        results = execute_idempotent(pipe)
    except REDIS_ERRORS as exc:
        results = [exc] * len(written)
    for window, result in zip(written, results, strict=False):
        if isinstance(result, REDIS_ERRORS):
            logger.warning("Ranking write to %s failed (%s): marking it stale", window.bucket, result)
            mark_stale(window)


def ranking_add_player(user: User) -> None:
    """A new player is ranked at once, with 0 on every period board."""
    if not redis_store_enabled() or not user.is_ranked:
        return
    _guarded(
        window_for("all"),
        lambda b: b.set_absolute(str(user.pk), user.score, to_micros(user.score_updated_at)),
    )
    for period in TIMED_PERIODS:
        window = window_for(period)
        _guarded(window, lambda b, w=window: b.add_if_absent(str(user.pk), 0, to_micros(w.start)))  # type: ignore[misc]  # a lambda with a default
    bump_version()


def ranking_remove_player(user: User) -> list[str]:
    """A ban: take the player off every leaderboard at once. Answers the keys of the named
    boards they were on (whose top 10s the caller has sent again)."""
    if redis_store_enabled():
        try:
            # First: no write still in flight for this player may land after the removal.
            get_redis().sadd(banned_key(), str(user.pk))
        except REDIS_ERRORS:
            logger.warning("Could not record the ban of %s in Redis", user.pk)
        for period in ("all", *TIMED_PERIODS):
            _guarded(window_for(period), lambda b: b.remove(str(user.pk)))
        bump_version()
    return boards_store.remove_player(user)  # and off every named board


def ranking_sync_player(user: User) -> list[str] | None:
    """After an account edit: on the boards exactly while ranked (a player promoted to
    staff leaves them, a demoted one comes back), whatever path changed the account.
    Answers None when the player stayed where they were, else the named boards' keys as
    ``ranking_remove_player`` / ``ranking_restore_player`` do."""
    if not redis_store_enabled():
        return None  # the SQL store reads who is ranked from the accounts themselves
    user.refresh_from_db(fields=list(RANKING_FIELDS))
    try:
        listed = RedisBoard(window_for("all")).standing(str(user.pk)) is not None
    except REDIS_ERRORS:
        mark_stale(window_for("all"))
        return None
    if user.is_ranked and not listed:
        return ranking_restore_player(user)
    if not user.is_ranked and listed:
        return ranking_remove_player(user)
    return None


def ranking_restore_player(user: User) -> list[str]:
    """An unban: the player is back with the score they had. Answers the keys of the named
    boards they are back on."""
    user.refresh_from_db(fields=["score", "score_updated_at", "status"])
    if redis_store_enabled() and user.is_ranked:
        try:
            get_redis().srem(banned_key(), str(user.pk))
        except REDIS_ERRORS:
            logger.warning("Could not lift the ban of %s in Redis", user.pk)
        _guarded(
            window_for("all"),
            lambda b: b.set_absolute(str(user.pk), user.score, to_micros(user.score_updated_at)),
        )
        for period in TIMED_PERIODS:
            mark_stale(window_for(period))  # their period sums come back with the next rebuild
        bump_version()
    return boards_store.restore_player(user)  # and back on every named board


def _guarded(window: Window, write: Callable[[RedisBoard], object]) -> None:
    try:
        write(RedisBoard(window))
    except REDIS_ERRORS as exc:
        logger.warning("Ranking write to %s failed (%s): marking it stale", window.bucket, exc)
        mark_stale(window)
