"""Ledger writes: every score change is one ``ScoreHistory`` row and one ``F()`` update."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import User
from scoreboard_project import metrics

from . import ledger, ledger_roots
from .models import Leaderboard, ScoreHistory
from .rank_read import ranks_for_scores

_TABLE = ScoreHistory._meta.db_table
# The player's score and chain head, and the next ledger row id, under the player's row lock.
_LOCK_SQL = {
    "postgresql": f"SELECT score, ledger_head, nextval(pg_get_serial_sequence('{_TABLE}', 'id')), score_updated_at "
                  f"FROM {User._meta.db_table} WHERE id = %s FOR UPDATE",
    # SQLite transactions here are IMMEDIATE (settings): one writer at a time, so the
    # AUTOINCREMENT sequence + 1 is the id the next INSERT would take.
    "sqlite": f"SELECT score, ledger_head, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{_TABLE}'), 0) + 1, "
              f"score_updated_at "
              f"FROM {User._meta.db_table} WHERE id = %s",
}


@dataclass(frozen=True)
class ScoreChange:
    entry: ScoreHistory
    previous_score: int
    new_score: int
    previous_rank: int | None
    new_rank: int | None


def score_history_record(
    *,
    user: User,
    increment: int,
    kind: str = ScoreHistory.Kind.ACTION,
    action_id: UUID | None = None,
    action_type: str = "",
    reference: str = "",
    once_per_reference: bool = False,
    completion_time_ms: int | None = None,
    server_elapsed_ms: int | None = None,
    proof: dict[str, Any] | None = None,
    signature: str = "",
    reverses: ScoreHistory | None = None,
    completed_by: User | None = None,
    note: str = "",
    board: Leaderboard | None = None,
    board_period_start: datetime | None = None,
    board_previous_score: int | None = None,
    board_at: datetime | None = None,
    board_fed_by: ScoreHistory | None = None,
    board_chain: tuple[str, int | None] | None = None,
    then: Callable[[ScoreHistory], None] | None = None,
) -> ScoreChange:
    """Move a player's score by ``increment`` and write the ledger row, atomically.

    The score moves with an ``F()`` expression while the row is locked, so concurrent
    completions never lose an increment. The rankings are
    updated on commit by the ``post_save`` receiver of ScoreHistory, which then
    schedules the broadcast. Raises IntegrityError when a non-repeatable action's
    reference was already scored (the unique constraint is the last word on "once").

    With ``board``: a named board's write (``boards/services.py``, which holds the
    record's row lock and passes the record's score before it, ``board_previous_score``,
    and the write's time). The row is ``kind=board`` and leaves ``User.score`` alone.

    ``then(entry)`` runs inside the transaction, after the row: writes that must commit or
    roll back with it (the named boards a completion feeds).
    """
    if board is not None:
        return _board_row(
            user=user, increment=increment, board=board, period_start=board_period_start,
            previous=board_previous_score or 0, at=board_at or timezone.now(), action_type=action_type,
            reference=reference, completed_by=completed_by, note=note, fed_by=board_fed_by, chain=board_chain,
        )
    with transaction.atomic():
        # Lock the player's row, then stamp the time: one player's changes are stamped in
        # the order they commit, which the ranking store relies on to drop a late write.
        # The same statement reads the chain head and reserves the row's id, so the hash
        # costs no extra round trip (leaderboard/ledger.py).
        previous_score, head, entry_id, previous_time = _lock_player(user)
        now = timezone.now()
        counts_actions = kind == ScoreHistory.Kind.ACTION
        digest = ledger.link(head, (entry_id, user.pk, increment, kind, action_id, now)) if entry_id else head
        User.objects.filter(pk=user.pk).update(
            score=F("score") + increment,
            total_actions=F("total_actions") + (1 if counts_actions else 0),
            score_updated_at=now,
            **({"ledger_head": digest} if entry_id else {}),
            **({"last_action_at": now} if counts_actions else {}),
        )
        new_score = previous_score + increment
        entry = ScoreHistory(
            id=entry_id, user=user, kind=kind, action_id=action_id, action_type=action_type, reference=reference,
            once_per_reference=once_per_reference, increment=increment, previous_score=previous_score,
            new_score=new_score, completion_time_ms=completion_time_ms, server_elapsed_ms=server_elapsed_ms,
            proof=proof or {}, signature=signature, reverses=reverses, completed_by=completed_by,
            note=note, created_at=now, hash=digest if entry_id else "",
        )
        entry.previous_score_time = previous_time  # type: ignore[attr-defined]  # the tie-break of the old score (overtaken.py)
        entry.save(force_insert=True)
        if not entry_id:  # a database that cannot reserve ids: hash after the INSERT
            _chain_after_insert(entry, head)
        if reverses is not None:
            from .boards.services import feeds_reverse  # imports this module: resolved at call time

            feeds_reverse(original=reverses, void=entry)  # the named boards it fed lose it too
        if then is not None:
            then(entry)
        user.score, user.score_updated_at = new_score, now
        # The post_save receiver (receivers.py) counts the ranks on commit (no Redis call while
        # the row is locked), updates the ranking, then broadcasts.
    previous_rank, new_rank = getattr(entry, "known_ranks", None) or ranks_for_scores(user, [previous_score, new_score])
    metrics.score_updates.labels(kind=kind).inc()
    # The first write of a UTC day seals the finished days' roots, in the background.
    transaction.on_commit(lambda: ledger_roots.notice_write(now), robust=True)
    return ScoreChange(entry, previous_score, new_score, previous_rank, new_rank)


def _lock_player(user: User) -> tuple[int, str, int | None, datetime | None]:
    """``(score, ledger head, reserved row id, when the score was reached)``, the player's
    row locked until commit."""
    sql = _LOCK_SQL.get(connection.vendor)
    if sql is None:
        row = (User.objects.select_for_update().filter(pk=user.pk)
               .values_list("score", "ledger_head", "score_updated_at").get())
        return row[0], row[1], None, row[2]
    with connection.cursor() as cursor:
        cursor.execute(sql, [user.pk.hex if connection.vendor == "sqlite" else user.pk])
        row = cursor.fetchone()
    if row is None:
        raise User.DoesNotExist(user.pk)
    reached = row[3]
    if isinstance(reached, str):  # SQLite answers text
        reached = parse_datetime(reached)
    if reached is not None and timezone.is_naive(reached):
        reached = timezone.make_aware(reached, UTC)
    return int(row[0]), row[1], int(row[2]), reached


def _chain_after_insert(entry: ScoreHistory, head: str) -> None:
    entry.hash = ledger.link(head, (entry.pk, entry.user_id, entry.increment, entry.kind, entry.action_id,
                                    entry.created_at))
    ScoreHistory.objects.filter(pk=entry.pk).update(hash=entry.hash)
    User.objects.filter(pk=entry.user_id).update(ledger_head=entry.hash)


def score_history_import(entries: list[ScoreHistory], users: list[User]) -> int:
    """Bulk-write ready-made ledger rows (``seed_demo``): INSERT them, then chain the
    players' rows in id order. The caller sets the players' scores; answers the rows written."""
    ScoreHistory.objects.bulk_create(entries, batch_size=2000)
    return ledger.backfill(ScoreHistory, User, user_ids=[user.pk for user in users])


def _board_row(
    *, user: User, increment: int, board: Leaderboard, period_start: datetime | None, previous: int,
    at: datetime, action_type: str, reference: str, completed_by: User | None, note: str,
    fed_by: ScoreHistory | None = None, chain: tuple[str, int | None] | None = None,
) -> ScoreChange:
    with transaction.atomic(savepoint=False):  # the record writer's transaction holds the lock
        # A board row is a link of the player's one hash chain too: the chain head is read
        # and the id reserved under the player's row lock (record_write took it first).
        head, entry_id = chain or ledger_chain_lock(user)
        kind = ScoreHistory.Kind.BOARD
        digest = ledger.link(head, (entry_id, user.pk, increment, kind, None, at)) if entry_id else head
        entry = ScoreHistory(
            id=entry_id, user=user, kind=kind, board=board, board_period_start=period_start,
            action_type=action_type, reference=reference, increment=increment, previous_score=previous,
            new_score=previous + increment, completed_by=completed_by, note=note, created_at=at, fed_by=fed_by,
            hash=digest if entry_id else "",
        )
        entry.save(force_insert=True)  # the post_save receiver updates the board's set on commit
        if entry_id:
            User.objects.filter(pk=user.pk).update(ledger_head=digest)
        else:
            _chain_after_insert(entry, head)
    metrics.score_updates.labels(kind=ScoreHistory.Kind.BOARD).inc()
    return ScoreChange(entry, previous, previous + increment, None, None)


def ledger_chain_lock(user: User) -> tuple[str, int | None]:
    """Lock the player's row until commit; the chain head and the next ledger row's id.

    Every ledger writer takes this lock before any other row lock (a board's record), so a
    completion feeding a board and a game server writing to it lock in the same order and
    cannot deadlock. One statement, as for a completion."""
    _, head, entry_id, _ = _lock_player(user)
    return head, entry_id
