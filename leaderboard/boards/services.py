"""Named leaderboard writes: create and edit a board, submit a record, feed incr boards.

A record write locks the player's record row of the current period, applies the board's
operator, and writes one ledger row (``kind=board``) through the ledger service, all in
one transaction; the ledger receiver puts the new standing in the Redis set on commit.
Ranks are read after the commit, never while the row lock is held.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction

from accounts.display_names import display_name_of
from accounts.models import User
from scoreboard_project.errors import ApplicationError, NotFound, ValidationFailed
from scoreboard_project.times import iso_z

from .. import score_effects
from ..ledger_rows import board_row, ledger_chain_lock, lock_player_row
from . import clock
from .definitions import board_for_write, confirmed, version_bump
from .errors import BoardClosed, BoardExists, BoardHasRecords
from .models import SCORE_LIMIT, Leaderboard, LeaderboardPeriod, LeaderboardRecord
from .periods import period_at, period_window
from .receivers import BoardStanding, committed_board_ranks
from .record_sql import (
    LOCK_ALONGSIDE,
    RecordMoved,
    SeenRecord,
    alongside_read,
    lock_alongside_params,
    planned_write,
    record_apply,
)
from .schedule import PeriodWindow, to_millis
from .shapes import WrittenRecord
from .store import REDIS_ERRORS

FEEDS_CACHE_KEY = "leaderboard:boards:feeds"
LOCKED_WHEN_RECORDED = ("operator", "sort_order")
LOCKED_FIELD_NAMES = {"operator": "operator", "sort_order": "sortOrder"}  # as the API names them


# --- boards -------------------------------------------------------------------------------
def board_create(*, key: str, name: str, operator: str, **fields: Any) -> Leaderboard:
    """Fields are already validated (``validation.py``). Opens the first period."""
    now = clock.now()
    fields["reset_schedule"] = fields.get("reset_schedule") or ""
    anchor = to_millis(fields.get("starts_at") or now)
    try:
        with transaction.atomic():
            board = Leaderboard.objects.create(
                key=key, name=name, operator=operator, period_anchor=anchor, created_at=now, **fields
            )
            first = period_at(board, max(now, anchor))
            LeaderboardPeriod.objects.create(board=board, starts_at=first.start, ends_at=first.end)
    except IntegrityError as exc:
        if Leaderboard.objects.filter(key=key).exists():
            raise BoardExists(details={"key": [f"{key!r} is taken."]}) from exc
        raise
    _boards_changed()
    return board


def _forget_cached_boards() -> None:
    from .page import PICKER_CACHE_KEY

    cache.delete_many([FEEDS_CACHE_KEY, PICKER_CACHE_KEY])
    version_bump()


def _boards_changed() -> None:
    """Now (this transaction's own reads) and on commit (what other processes read while it
    was open): the copies of board rows are dropped everywhere."""
    version_bump()
    transaction.on_commit(_forget_cached_boards)


def board_update(*, board: Leaderboard, **changes: Any) -> Leaderboard:
    """Edit a board. A schedule or time zone change lets the current period run to its
    new end; ``operator``/``sort_order`` cannot change once a record exists."""
    now = clock.now()
    if "reset_schedule" in changes:
        changes["reset_schedule"] = changes["reset_schedule"] or ""
    with transaction.atomic():
        # Lock the board: a record write checks has_records under the same lock order.
        board = Leaderboard.objects.select_for_update().get(pk=board.pk)
        changed = {name: value for name, value in changes.items() if getattr(board, name) != value}
        if set(changed) & set(LOCKED_WHEN_RECORDED) and (
            board.has_records or LeaderboardRecord.objects.filter(board=board).exists()
        ):
            raise BoardHasRecords(
                details={"fields": [LOCKED_FIELD_NAMES[f] for f in LOCKED_WHEN_RECORDED if f in changed]}
            )
        current = period_at(board, now)
        for name, value in changed.items():
            setattr(board, name, value)
        if {"reset_schedule", "timezone", "ends_at"} & set(changed):
            board.period_anchor = current.start  # the current period keeps its start
            end = period_at(board, now).end
            LeaderboardPeriod.objects.filter(board=board, starts_at=current.start).update(ends_at=end)
        board.save()
    _boards_changed()
    return board


# --- records ------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecordWrite:
    board: Leaderboard
    period: PeriodWindow
    record: LeaderboardRecord
    previous_score: int | None
    changed: bool
    entry: Any = None  # the ledger row (``receivers.committed_board_ranks`` after the commit)


def record_write(
    *,
    board: Leaderboard,
    user: User,
    score: int,
    metadata: dict[str, Any] | None = None,
    at: datetime | None = None,
    action_type: str = "",
    reference: str = "",
    completed_by: User | None = None,
    period: PeriodWindow | None = None,
    fed_by: Any = None,
    note: str = "",
    chain: tuple[str, int | None] | None = None,
    seen: SeenRecord | None = None,
) -> RecordWrite:
    """Apply ``score`` to ``user``'s record in the current period (or ``period``: a void
    goes where the points it reverses went, whatever the season). Call inside or outside a
    transaction; raises BoardClosed outside the board's season window. ``chain``: the
    caller's transaction already holds the player's lock (``lock_player_row``' answer);
    ``seen``: and that lock's statement read the record of ``period`` (PostgreSQL), which is
    then written in the ledger row's statement (``record_sql.planned_write``); raises
    ``RecordMoved`` (roll back, write again without it) when the record changed since."""
    stamped = at is not None
    at = at or clock.now()
    if period is None and (closed := closed_refusal(board, at)) is not None:
        raise closed
    period = period or period_at(board, at)
    # No savepoint inside a caller's transaction (two round trips): every caller lets a
    # refusal end its whole transaction.
    with transaction.atomic(savepoint=False):
        # First, as every ledger writer does (the chain head is on the player's row).
        chain = chain or ledger_chain_lock(user)
        if not stamped:
            # Stamped under the player's lock, which orders all their ledger writes: one
            # player's writes get rising times in commit order, which the ranking set relies
            # on to drop a write that reaches it late.
            at = max(at, clock.now())
        joined = None
        if seen is not None:  # written below, with the ledger row
            record, previous, joined = planned_write(
                board=board, period=period, user=user, score=score, metadata=metadata, at=at, seen=seen
            )
        else:  # the record's row lock and the operator, in one statement (``record_sql``)
            record, previous = record_apply(
                board=board, period=period, user=user, score=score, metadata=metadata, at=at
            )
        new = record.score
        if abs(new) > SCORE_LIMIT:  # an incr board's sum: refused, and the transaction with it
            raise ValidationFailed(
                f"The board's score would leave ±{SCORE_LIMIT} (exact in the ranking).",
                details={"score": [f"The sum {new} is out of range."]},
            )
        changed = previous is None or new != previous
        if not board.has_records and Leaderboard.objects.filter(pk=board.pk, has_records=False).update(
            has_records=True
        ):
            # The row may be this process' shared copy (``definitions``): told once committed,
            # and every process's copies are read again (their list counts no player on a
            # board without records).
            transaction.on_commit(lambda: setattr(board, "has_records", True))
            transaction.on_commit(version_bump)
        entry = board_row(
            user=user,
            increment=new - (previous or 0),
            board=board,
            period_start=period.start,
            previous=previous or 0,
            at=at,
            action_type=action_type,
            reference=reference,
            completed_by=completed_by,
            fed_by=fed_by,
            note=note,
            chain=chain,
            joined=joined,
        )
        if joined is not None:
            if joined.returned is None:
                raise RecordMoved
            record.id = joined.returned
        old_rank_score = None if previous is None else board.rank_score(previous)
        # Read on commit by the row's side effects (score_effects -> receivers.board_row_committed).
        score_effects.note_written(
            entry,
            score_effects.WrittenFacts(
                board_standing=BoardStanding(
                    period,
                    record,
                    changed,
                    old_rank_score,
                    metadata_changed=metadata is not None
                    and (changed or board.operator != Leaderboard.Operator.BEST),
                )
            ),
        )
    return RecordWrite(board, period, record, previous, changed, entry)


def closed_refusal(board: Leaderboard, at: datetime) -> BoardClosed | None:
    """The refusal of a write at ``at`` outside the board's season window, else None."""
    if board.is_open(at):
        return None
    return BoardClosed(details={"startsAt": board.starts_at, "endsAt": board.ends_at})


def _write_under_lock(
    *,
    board: Leaderboard,
    user_id: Any,
    score: int,
    metadata: dict[str, Any] | None,
    caller: User,
    planned: bool = True,
) -> tuple[RecordWrite, User] | ApplicationError:
    """Inside ``record_submit``'s transaction: the write and its player, or the refusal, which
    is found before anything is written (the caller raises it after the COMMIT).

    The player's row is looked up and locked in one statement, before anything else; the same
    statement reads the version of the board's row and the player's record of the period
    current before the lock (``record_sql.LOCK_ALONGSIDE``). When the write's period is still
    that one and ``planned``, the record is written with the ledger row (``RecordMoved`` when
    it changed since). The lock is first asked for without waiting: a statement that waited
    read the record as it was before the write it waited for, which would be written again
    (``RecordMoved``, then a rollback), so a contended write reads the record under its own
    lock instead."""
    expected = period_at(board, clock.now())
    lock = partial(
        lock_player_row,
        uuid.UUID(str(user_id)),
        alongside=LOCK_ALONGSIDE,
        params=lock_alongside_params(board, expected.start),
    )
    locked = lock(skip_locked=True)
    if locked is None:  # another write holds the player (or no such player): wait for it
        locked = lock()
        planned = False  # the record it read is as this statement's start saw it
    if locked is None or not locked.user.is_ranked:
        return NotFound("No such player on the leaderboards.", details={"userId": ["unknown or not ranked"]})
    row_version, seen = alongside_read(locked.alongside)
    current = confirmed(board, row_version)
    if current is None:
        return NotFound("No such leaderboard.")
    now = clock.now()  # under the player's lock: one player's writes get rising times in commit order
    closed = closed_refusal(current, now)
    if closed is not None:
        return closed
    period = period_at(current, now)
    # The record read is the one written only if the board and the period are still the ones it was read for.
    planned = planned and seen is not None and current.pk == board.pk and period.start == expected.start
    written = record_write(
        board=current,
        user=locked.user,
        score=score,
        metadata=metadata,
        at=now,
        completed_by=caller,
        period=period,
        chain=locked.chain,
        seen=seen if planned else None,
    )
    return written, locked.user


def record_submit(
    *, key: str, user_id: Any, score: int, metadata: dict[str, Any] | None, caller: User
) -> WrittenRecord:
    """``POST /leaderboards/{key}/records``: the record after the write, with its rank and
    the score and rank before it (ranks read outside the transaction).

    A refusal (no such player, a closed season) rolls nothing back: it is found under the
    player's lock before anything is written, and raised after a COMMIT.
    A rollback would cost a round trip, and psycopg then drops the connection's prepared
    statements (one more round trip, and the next writes' statements parsed again): mixing
    a fifth of refusals into the writes made the others 10-20 % slower (docs/benchmarks.md).
    """
    from .selectors import GLOBAL_KEY, Target, ranks_for

    if key == GLOBAL_KEY:
        raise BoardClosed("The global board is fed by completed actions only.")
    board = board_for_write(key)  # no Redis call: the copy is checked under the lock below
    if board is None:
        raise NotFound("No such leaderboard.")
    write = partial(
        _write_under_lock, board=board, user_id=user_id, score=score, metadata=metadata, caller=caller
    )
    try:
        with transaction.atomic():
            outcome = write()
    except RecordMoved:  # rolled back: written again, the record read under its own lock
        with transaction.atomic():
            outcome = write(planned=False)
    if isinstance(outcome, ApplicationError):
        raise outcome  # after the COMMIT of a transaction that wrote nothing
    written, player = outcome
    board = written.board
    uid = str(player.pk)
    record = written.record
    # Counted among the others, so it holds whether or not the set has the write yet.
    previous = written.previous_score
    wanted = [record.rank_score] + ([] if previous is None else [board.rank_score(previous)])
    ranks = committed_board_ranks(written.entry) or ranks_for(
        Target(key, board, written.period), wanted, exclude_user_id=uid
    )
    return {
        "rank": ranks[0],
        "userId": uid,
        "username": player.username,
        "displayName": display_name_of(player),
        "score": record.score,
        "metadata": record.metadata,
        "updatedAt": iso_z(record.reached_at),
        "previousScore": written.previous_score,
        "previousRank": None if previous is None else ranks[1],
    }


def feeds_reverse(*, original: Any, void: Any) -> None:
    """Inside a void's transaction: every board row the voided completion fed is reversed
    in its own period (the record loses the points, a ledger row says so)."""
    for row in original.fed_boards.filter(kind="board").select_related("board", "user"):
        record_write(
            board=row.board,
            user=row.user,
            score=-row.increment,
            period=period_window(row.board, row.board_period_start),
            action_type=row.action_type,
            reference=row.reference,
            completed_by=void.completed_by,
            fed_by=void,
            note=f"reverses ledger row {row.pk}",
        )


def boards_fed_by(action_type: str) -> list[int]:
    """The incr boards that list ``action_type`` (the map is in the shared cache; a board edit
    clears it). Call before the completion's transaction: no Redis call under its row lock,
    and a Redis error only costs a query."""
    try:
        feeds = cache.get(FEEDS_CACHE_KEY)
    except REDIS_ERRORS:
        feeds = None
    if feeds is None:
        feeds = {}
        for board_id, types in Leaderboard.objects.filter(operator=Leaderboard.Operator.INCR).values_list(
            "id", "action_types"
        ):
            for code in types or ():
                feeds.setdefault(code, []).append(board_id)
        with contextlib.suppress(*REDIS_ERRORS):
            cache.set(FEEDS_CACHE_KEY, feeds, 300)
    return feeds.get(action_type, [])


def completion_feed(
    *,
    user: User,
    action_type: str,
    points: int,
    at: datetime,
    board_ids: list[int],
    reference: str = "",
    source: Any = None,
) -> None:
    """Inside the completion's transaction: add ``points`` to every open incr board of
    ``board_ids`` (``boards_fed_by``, read before the transaction) that lists ``action_type``."""
    if not user.is_ranked or not board_ids:
        return
    for board in Leaderboard.objects.filter(pk__in=board_ids).order_by("pk"):
        if board.is_open(at) and action_type in board.action_types:
            record_write(
                board=board,
                user=user,
                score=points,
                at=at,
                action_type=action_type,
                reference=reference,
                fed_by=source,
            )
