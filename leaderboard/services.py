"""Ledger writes: every score change is one ``ScoreHistory`` row and one ``F()`` update."""

from __future__ import annotations

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
from .models import ScoreHistory
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
) -> ScoreChange:
    """Move a player's score by ``increment`` and write the ledger row, atomically.

    The score moves with an ``F()`` expression while the row is locked, so concurrent
    completions never lose an increment. The rankings are
    updated on commit by the ``post_save`` receiver of ScoreHistory, which then
    schedules the broadcast. Raises IntegrityError when a non-repeatable action's
    reference was already scored (the unique constraint is the last word on "once").
    """
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
        entry.previous_score_time = previous_time  # the tie-break of the old score (overtaken.py)
        entry.save(force_insert=True)
        if not entry_id:  # a database that cannot reserve ids: hash after the INSERT
            _chain_after_insert(entry, head)
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
