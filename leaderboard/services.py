"""Ledger writes: every score change is one ``ScoreHistory`` row and one ``F()`` update."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from scoreboard_project import metrics

from . import ranking
from .models import Leaderboard, ScoreHistory


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
            reference=reference, completed_by=completed_by, note=note, fed_by=board_fed_by,
        )
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
        previous_rank = ranking.rank_for_score(user, previous_score)
        new_rank = ranking.rank_for_score(user, new_score)
        entry = ScoreHistory(
            user=user, kind=kind, action_id=action_id, action_type=action_type, reference=reference,
            once_per_reference=once_per_reference, increment=increment, previous_score=previous_score,
            new_score=new_score, completion_time_ms=completion_time_ms, server_elapsed_ms=server_elapsed_ms,
            proof=proof or {}, signature=signature, reverses=reverses, completed_by=completed_by,
            note=note, created_at=now,
        )
        # Handed to the post_save receiver so the personal events do not count the ranks again.
        entry.known_ranks = (previous_rank, new_rank)
        entry.save(force_insert=True)
        if reverses is not None:
            from .boards.services import feeds_reverse  # imports this module: resolved at call time

            feeds_reverse(original=reverses, void=entry)  # the named boards it fed lose it too
        if then is not None:
            then(entry)
        user.score, user.score_updated_at = new_score, now
        # The post_save receiver (receivers.py) updates the ranking on commit, then broadcasts.
    metrics.score_updates.labels(kind=kind).inc()
    return ScoreChange(entry, previous_score, new_score, previous_rank, new_rank)


def _board_row(
    *, user: User, increment: int, board: Leaderboard, period_start: datetime | None, previous: int,
    at: datetime, action_type: str, reference: str, completed_by: User | None, note: str,
    fed_by: ScoreHistory | None = None,
) -> ScoreChange:
    with transaction.atomic(savepoint=False):  # the record writer's transaction holds the lock
        entry = ScoreHistory(
            user=user, kind=ScoreHistory.Kind.BOARD, board=board, board_period_start=period_start,
            action_type=action_type, reference=reference, increment=increment, previous_score=previous,
            new_score=previous + increment, completed_by=completed_by, note=note, created_at=at, fed_by=fed_by,
        )
        entry.save(force_insert=True)  # the post_save receiver updates the board's set on commit
    metrics.score_updates.labels(kind=ScoreHistory.Kind.BOARD).inc()
    return ScoreChange(entry, previous, previous + increment, None, None)
