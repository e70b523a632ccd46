"""Where a board's ranking is read and written: one Redis sorted set per (board, period),
with the records table as the truth, the fallback and the source of lazy rebuilds.

The set uses the all-time board's layout (``redis_store``): member = inverted tie-break
time + inverted user id, score = ``rank_score`` (higher is better whatever the sort
order), so the same tie rule and the same rank rule (1 + strictly better) hold on both
orders. Written on commit by the ledger receiver (``receivers.py``); a write that fails
marks the set stale, and a stale or missing set is rebuilt from the records by the first
reader that takes its lock, everyone else reading SQL meanwhile.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from datetime import datetime, timedelta

import redis
from django.db.models import Count, QuerySet

from accounts.models import User, ranked_q
from accounts.name_cache import names_fill

from ..periods import Window, to_micros
from ..ranking import redis_store_enabled
from ..redis_store import RedisBoard
from .models import Leaderboard, LeaderboardRecord
from .periods import period_window
from .redis_records import COMPLETE, COMPLETE_MARK, meta_entry, metadata_text, set_record
from .schedule import PeriodWindow

logger = logging.getLogger("scoreboard.boards")
REDIS_ERRORS = (redis.RedisError, OSError)
CATCH_UP = timedelta(seconds=60)

RANKED = ranked_q("user__")  # the records of players on the leaderboards


def redis_window(board_id: int, period: PeriodWindow) -> Window:
    return Window("all", period.start, period.end, f"board:{board_id}:{period.id}")


def ranked_records(board_id: int, period_start: datetime) -> QuerySet:
    """The records of one period whose players are on the boards (not banned, not staff)."""
    return LeaderboardRecord.objects.filter(RANKED, board_id=board_id, period_start=period_start)


def redis_board(board_id: int, period: PeriodWindow, *, checked: bool = True) -> RedisBoard | None:
    """The ready Redis set of this period (rebuilt now if missing and the lock is free).

    ``checked=False`` skips the readiness round trip: for a reader whose own script
    checks the ready marker (``redis_pages.page_after``) and rebuilds on a miss.
    """
    if not redis_store_enabled():
        return None
    try:
        board = RedisBoard(redis_window(board_id, period))
        if not checked or board.is_ready() or rebuild(board_id, period):
            return board
    except REDIS_ERRORS as exc:
        logger.warning("Board read falls back to SQL: %s", exc)
    return None


def rebuild(board_id: int, period: PeriodWindow, *, wait: bool = False) -> bool:
    """Load the set from the records; False when another process holds the rebuild lock."""
    board = RedisBoard(redis_window(board_id, period))
    token = str(datetime.now().timestamp())
    if not board.client.set(board.keys.lock, token, nx=True, px=30_000):
        if not wait:
            return False
        board.client.set(board.keys.lock, token, px=30_000)
    try:
        started = datetime.now().astimezone()
        records = ranked_records(board_id, period.start)
        rows, names = [], {}
        for uid, rank_score, reached, username, display_name in records.values_list(
            "user_id", "rank_score", "reached_at", "user__username", "user__display_name"
        ).iterator(chunk_size=5000):
            uid = str(uid)
            rows.append((uid, int(rank_score), to_micros(reached)))
            names[uid] = (username, display_name)
        board.load(rows, [], meta=_metadata_hash(records))
        names_fill(names)  # the page readers' names (entries already there are newer: kept)
        # Writes that committed while the snapshot was read found no ready marker and were
        # skipped: set them again (a write is idempotent and never older than the set's).
        recent = records.filter(updated_at__gte=started - CATCH_UP)
        pipe = board.client.pipeline(transaction=False)
        for index, (uid, rank_score, reached, updated, metadata) in enumerate(
            recent.values_list("user_id", "rank_score", "reached_at", "updated_at", "metadata").iterator(
                chunk_size=5000
            )
        ):
            set_record(
                board,
                str(uid),
                int(rank_score),
                to_micros(reached),
                to_micros(updated),
                metadata_text(metadata),
                on=pipe,
            )
            if index % 2000 == 1999:
                pipe.execute()
        pipe.execute()
        return True
    finally:
        if board.client.get(board.keys.lock) == token:
            board.client.delete(board.keys.lock)


def _metadata_hash(records: QuerySet) -> dict[str, str]:
    """The period's ``keys.meta`` hash as a rebuild loads it: the non-empty metadata, and the
    marker that says the hash is complete (``redis_records``)."""
    found = {COMPLETE: COMPLETE_MARK}
    for uid, updated, metadata in (
        records.exclude(metadata={})
        .values_list("user_id", "updated_at", "metadata")
        .iterator(chunk_size=5000)
    ):
        found[str(uid)] = meta_entry(to_micros(updated), metadata_text(metadata))
    return found


def write(
    board_id: int, period: PeriodWindow, record: LeaderboardRecord, *, rank_scores: Sequence[int] = ()
) -> list[int] | None:
    """On commit: the record's standing and metadata in the period's set (idempotent).
    Answers the rank each of ``rank_scores`` has among the other players once written (the
    same call), or None when the set took no write (not ready, Redis failed, no Redis)."""
    if not redis_store_enabled():
        return None
    try:
        return set_record(
            RedisBoard(redis_window(board_id, period)),
            str(record.user_id),
            record.rank_score,
            to_micros(record.reached_at),
            to_micros(record.updated_at),
            metadata_text(record.metadata),
            rank_scores=rank_scores,
        )
    except REDIS_ERRORS as exc:
        logger.warning("Board write failed (%s): marking board %s stale", exc, board_id)
        _mark_stale(board_id, period)
    return None


def _mark_stale(board_id: int, period: PeriodWindow) -> None:
    try:
        RedisBoard(redis_window(board_id, period)).mark_stale()
    except REDIS_ERRORS:
        logger.warning("Board %s period %s is stale and Redis is unreachable", board_id, period.id)


def current_totals(
    sets: list[tuple[int, PeriodWindow]], empty: AbstractSet[int] = frozenset()
) -> dict[int, int]:
    """Players on each (board, period): 0 for the ``empty`` boards (no record ever), one
    Redis round trip for the others, one SQL query for those whose set is not ready."""
    totals: dict[int, int] = dict.fromkeys(empty, 0)
    sets = [(board_id, period) for board_id, period in sets if board_id not in totals]
    if redis_store_enabled() and sets:
        try:
            boards = [RedisBoard(redis_window(board_id, period)) for board_id, period in sets]
            pipe = boards[0].client.pipeline(transaction=False)
            for board in boards:
                pipe.exists(board.keys.ready)
                pipe.zcard(board.keys.zset)
            answers = pipe.execute()
            for index, (board_id, _) in enumerate(sets):
                if answers[2 * index]:
                    totals[board_id] = int(answers[2 * index + 1])
        except REDIS_ERRORS as exc:
            logger.warning("Board totals fall back to SQL: %s", exc)
    missing = [(board_id, period) for board_id, period in sets if board_id not in totals]
    if missing:
        starts = dict(missing)
        counted: dict[int, int] = {}
        for board_id, start, count in (
            LeaderboardRecord.objects.filter(RANKED, board_id__in=list(starts))
            .values_list("board_id", "period_start")
            .annotate(n=Count("id"))
            .values_list("board_id", "period_start", "n")
        ):
            if starts[board_id].start == start:
                counted[board_id] = count
        totals.update({board_id: counted.get(board_id, 0) for board_id, _ in missing})
    return totals


def _player_sets(user: User) -> list[tuple[Leaderboard, PeriodWindow]]:
    boards = {board.pk: board for board in Leaderboard.objects.filter(records__user=user).distinct()}
    return [
        (boards[board_id], period_window(boards[board_id], start))
        for board_id, start in LeaderboardRecord.objects.filter(user=user).values_list(
            "board_id", "period_start"
        )
    ]


def player_boards(user: User) -> list[str]:
    """The keys of the named boards where ``user`` holds a record (any period)."""
    return sorted(set(Leaderboard.objects.filter(records__user=user).values_list("key", flat=True)))


def remove_player(user: User) -> list[str]:
    """A ban (or a promotion to staff): off every named board at once. Answers the boards'
    keys, whose top 10s the caller sends again (``broadcaster.standings_changed``)."""
    found = _player_sets(user)
    if redis_store_enabled():
        for board, period in found:
            try:
                RedisBoard(redis_window(board.pk, period)).remove(str(user.pk))
            except REDIS_ERRORS:
                _mark_stale(board.pk, period)
    return sorted({board.key for board, _ in found})  # the SQL reads filter on the account itself


def restore_player(user: User) -> list[str]:
    """An unban: every record of the player is back where it was. Answers the boards' keys."""
    if not user.is_ranked:
        return []
    found = _player_sets(user)
    if redis_store_enabled():
        records = {(r.board_id, r.period_start): r for r in LeaderboardRecord.objects.filter(user=user)}
        for board, period in found:
            write(board.pk, period, records[(board.pk, period.start)])
    return sorted({board.key for board, _ in found})
