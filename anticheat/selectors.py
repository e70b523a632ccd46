"""Moderation reads: users and flags by id, the flag queue, a player's score history.

The ``*_data`` functions give the contract's shapes (snake_case keys; the API's
renderer camelizes them on the wire).
"""

from __future__ import annotations

from typing import cast
from uuid import UUID

from django.db.models import QuerySet

from accounts.models import User
from accounts.ranks import user_summary
from leaderboard.models import ScoreHistory
from scoreboard_project.errors import NotFound

from .models import Flag
from .shapes import FlagData, HistoryEntry, ModeratedUser


def user_get(user_id: UUID) -> User:
    """The account with this id, or NOT_FOUND."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound("No such user.")
    return user


def flag_get(flag_id: int) -> Flag:
    flag = Flag.objects.select_related("user", "score_history").filter(pk=flag_id).first()
    if flag is None:
        raise NotFound("No such flag.")
    return flag


def flag_list(*, status: str = Flag.Status.OPEN, limit: int = 500) -> QuerySet[Flag]:
    """The queue of one status, oldest first for open flags (work them in order), newest
    first for settled ones."""
    order = ["created_at", "id"] if status == Flag.Status.OPEN else ["-resolved_at", "-id"]
    return Flag.objects.filter(status=status).select_related("user", "score_history").order_by(*order)[:limit]


def user_history(*, user: User, limit: int = 500) -> QuerySet[ScoreHistory]:
    """A player's ledger, newest first."""
    return (
        ScoreHistory.objects.filter(user=user)
        .select_related("completed_by")
        .order_by("-created_at", "-id")[:limit]
    )


def moderated_user_data(user: User) -> ModeratedUser:
    """The contract's ``user`` object plus ``status``."""
    return {**user_summary(user), "status": cast(User.Status, user.status)}


def flag_data(flag: Flag) -> FlagData:
    entry = flag.score_history
    return {
        "id": flag.pk,
        "user_id": str(flag.user_id),
        "username": flag.user.username,
        "reason": flag.reason,
        "evidence": flag.evidence,
        "score_increment": entry.increment if entry else 0,
        "score_history_id": entry.pk if entry else None,
        "created_at": flag.created_at,
        "status": cast(Flag.Status, flag.status),
        "resolved_at": flag.resolved_at,
        "resolved_by": str(flag.resolved_by_id) if flag.resolved_by_id else None,
        "resolution_note": flag.resolution_note,
    }


def history_entry_data(entry: ScoreHistory) -> HistoryEntry:
    return {
        "id": entry.pk,
        "kind": cast(ScoreHistory.Kind, entry.kind),
        "increment": entry.increment,
        "previous_score": entry.previous_score,
        "new_score": entry.new_score,
        "action_id": str(entry.action_id) if entry.action_id else None,
        "action_type": entry.action_type,
        "reference": entry.reference,
        "completion_time_ms": entry.completion_time_ms,
        "server_elapsed_ms": entry.server_elapsed_ms,
        "signature": entry.signature,
        "reverses": entry.reverses_id,
        "completed_by": str(entry.completed_by_id) if entry.completed_by_id else None,
        "note": entry.note,
        "created_at": entry.created_at,
        "hash": entry.hash,
    }
