"""Ledger writes: every score change is one ``ScoreHistory`` row and one ``F()`` update."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from scoreboard_project import metrics

from .models import ScoreHistory
from .rank_read import ranks_for_scores


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
        previous_score = User.objects.select_for_update().filter(pk=user.pk).values_list("score", flat=True).get()
        now = timezone.now()
        counts_actions = kind == ScoreHistory.Kind.ACTION
        User.objects.filter(pk=user.pk).update(
            score=F("score") + increment,
            total_actions=F("total_actions") + (1 if counts_actions else 0),
            score_updated_at=now,
            **({"last_action_at": now} if counts_actions else {}),
        )
        new_score = previous_score + increment
        entry = ScoreHistory(
            user=user, kind=kind, action_id=action_id, action_type=action_type, reference=reference,
            once_per_reference=once_per_reference, increment=increment, previous_score=previous_score,
            new_score=new_score, completion_time_ms=completion_time_ms, server_elapsed_ms=server_elapsed_ms,
            proof=proof or {}, signature=signature, reverses=reverses, completed_by=completed_by,
            note=note, created_at=now,
        )
        entry.save(force_insert=True)
        user.score, user.score_updated_at = new_score, now
        # The post_save receiver (receivers.py) counts the ranks on commit (no Redis call while
        # the row is locked), updates the ranking, then broadcasts.
    previous_rank, new_rank = getattr(entry, "known_ranks", None) or ranks_for_scores(user, [previous_score, new_score])
    metrics.score_updates.labels(kind=kind).inc()
    return ScoreChange(entry, previous_score, new_score, previous_rank, new_rank)
