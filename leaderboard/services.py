"""Ledger writes: every score change is one ``ScoreHistory`` row and one ``F()`` update."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from scoreboard_project import metrics

from . import ledger, ledger_roots, score_effects
from .boards.services import feeds_reverse
from .ledger_rows import chain_after_insert, lock_player, move_score
from .models import ScoreHistory


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
    then: Callable[[ScoreHistory], None] | None = None,
) -> ScoreChange:
    """Move a player's score by ``increment`` and write the ledger row, atomically.

    The score moves with an ``F()`` expression while the row is locked, so concurrent
    completions never lose an increment. Everything that leaves the process (rankings,
    events, the top 10) is the on-commit work of the row's ``post_save`` receiver
    (``score_effects.row_committed``); the ranks answered are the ones it counted
    (``score_effects.committed_ranks``). Raises IntegrityError when a non-repeatable
    action's reference was already scored (the unique constraint is the last word on "once").
    A named board's row is written by ``ledger_rows.board_row`` instead.

    ``then(entry)`` runs inside the transaction, after the row: writes that must commit or
    roll back with it (the named boards a completion feeds).
    """
    with transaction.atomic():
        # Lock the player's row, then stamp the time: one player's changes are stamped in
        # the order they commit, which the ranking store relies on to drop a late write.
        # The same statement reads the chain head and reserves the row's id, so the hash
        # costs no extra round trip (leaderboard/ledger.py).
        previous_score, head, entry_id, previous_time = lock_player(user)
        now = timezone.now()
        counts_actions = kind == ScoreHistory.Kind.ACTION
        digest = ledger.link(head, (entry_id, user.pk, increment, kind, action_id, now)) if entry_id else head
        new_score = previous_score + increment
        entry = ScoreHistory(
            id=entry_id,
            user=user,
            kind=kind,
            action_id=action_id,
            action_type=action_type,
            reference=reference,
            once_per_reference=once_per_reference,
            increment=increment,
            previous_score=previous_score,
            new_score=new_score,
            completion_time_ms=completion_time_ms,
            server_elapsed_ms=server_elapsed_ms,
            proof=proof or {},
            signature=signature,
            reverses=reverses,
            completed_by=completed_by,
            note=note,
            created_at=now,
            hash=digest if entry_id else "",
        )
        # The score's UPDATE and the row's INSERT, one statement where the id was reserved.
        move_score(
            user=user,
            increment=increment,
            now=now,
            counts_actions=counts_actions,
            digest=digest if entry_id else None,
            entry=entry,
        )
        # Read on commit: the old score's tie-break, for the players this change passed.
        score_effects.note_written(entry, score_effects.WrittenFacts(previous_score_time=previous_time))
        if not entry_id:  # a database that cannot reserve ids: hash after the INSERT
            chain_after_insert(entry, head)
        if reverses is not None:
            feeds_reverse(original=reverses, void=entry)  # the named boards it fed lose it too
        if then is not None:
            then(entry)
        user.score, user.score_updated_at = new_score, now
    # Counted on commit by the row's receiver (no Redis call while the row is locked), before
    # the ranking moved; counted here when a caller's transaction is still open.
    previous_rank, new_rank = score_effects.committed_ranks(entry)
    metrics.score_updates.labels(kind=kind).inc()
    # The first write of a UTC day seals the finished days' roots, in the background.
    transaction.on_commit(lambda: ledger_roots.notice_write(now), robust=True)
    return ScoreChange(entry, previous_score, new_score, previous_rank, new_rank)


def score_history_import(entries: list[ScoreHistory], users: list[User]) -> int:
    """Bulk-write ready-made ledger rows (``seed_demo``): INSERT them, then chain the
    players' rows in id order. The caller sets the players' scores; answers the rows written."""
    ScoreHistory.objects.bulk_create(entries, batch_size=2000)
    return ledger.backfill(ScoreHistory, User, user_ids=[user.pk for user in users])
