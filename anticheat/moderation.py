"""Moderation writes: ban and unban players, approve and void flags.

Every function here is the one place its change happens, for the REST API and the
Django admin alike; each writes an ``AuditEntry`` in the same transaction and asks the
leaderboard app for its side effects (ranking, broadcast, closing sockets) on commit.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from leaderboard import ranking_writes
from leaderboard.broadcast import broadcaster
from leaderboard.models import ScoreHistory
from leaderboard.services import score_history_record
from scoreboard_project.errors import ValidationFailed

from . import history
from .audit import audit_record
from .exceptions import CannotBanStaff, FlagAlreadySettled, Unchanged
from .models import AuditEntry, Flag

MAX_TEXT_LENGTH = 500


def clean_text(value: str | None, *, field: str, required: bool) -> str:
    """A reason or note: stripped, at most 500 characters, present when required."""
    text = (value or "").strip()
    if required and not text:
        raise ValidationFailed(details={field: ["This field is required."]})
    if len(text) > MAX_TEXT_LENGTH:
        raise ValidationFailed(details={field: [f"At most {MAX_TEXT_LENGTH} characters."]})
    return text


def _on_commit_remove(user: User) -> None:
    """A ban writes no ledger row: off the rankings, one ``standings_changed``, sockets closed."""

    def remove() -> None:
        boards = ranking_writes.ranking_remove_player(user)
        broadcaster.standings_changed(boards)
        broadcaster.disconnect_banned_user(user.id)

    transaction.on_commit(remove)


def _on_commit_restore(user: User) -> None:
    def restore() -> None:
        boards = ranking_writes.ranking_restore_player(user)
        broadcaster.standings_changed(boards)

    transaction.on_commit(restore)


def player_ban(*, user: User, actor: User | None, reason: str, client_ip: str | None = None) -> User:
    """Ban ``user``: tokens stop working at once (authentication reads ``status``), and
    on commit the player leaves every ranking and their open sockets close with 4403.

    Idempotent: banning a banned player changes nothing but is still audited, and the
    side effects run again (they are idempotent), which repairs a ranking or socket a
    crashed process may have missed. Staff accounts are refused (CANNOT_BAN_STAFF): a
    moderator must not lock out another moderator, or themselves, by accident.
    ``actor`` is None for the automatic ban of the anomaly detectors.
    """
    reason = clean_text(reason, field="reason", required=True)
    if user.is_staff or user.is_superuser:
        raise CannotBanStaff()
    with transaction.atomic():
        # One conditional UPDATE: of two simultaneous bans exactly one changes the row.
        changed = User.objects.filter(pk=user.pk, status=User.Status.ACTIVE).update(status=User.Status.BANNED)
        user.refresh_from_db(fields=["status", "score", "score_updated_at"])
        audit_record(
            event=AuditEntry.Event.PLAYER_BANNED if actor else AuditEntry.Event.AUTO_BAN,
            actor=actor,
            subject=user,
            reason=reason,
            code="" if changed else Unchanged.ALREADY_BANNED,
            client_ip=client_ip,
            details={"changed": bool(changed), "score": user.score, "automatic": actor is None},
        )
        _on_commit_remove(user)
    return user


def player_unban(*, user: User, actor: User | None, reason: str, client_ip: str | None = None) -> User:
    """Lift a ban: the player is back on the leaderboards with the score they had.

    Idempotent like ``player_ban``: unbanning an active player is audited and changes nothing.
    """
    reason = clean_text(reason, field="reason", required=True)
    with transaction.atomic():
        changed = User.objects.filter(pk=user.pk, status=User.Status.BANNED).update(status=User.Status.ACTIVE)
        user.refresh_from_db(fields=["status", "score", "score_updated_at"])
        audit_record(
            event=AuditEntry.Event.PLAYER_UNBANNED,
            actor=actor,
            subject=user,
            reason=reason,
            code="" if changed else Unchanged.NOT_BANNED,
            client_ip=client_ip,
            details={"changed": bool(changed), "score": user.score},
        )
        if changed:
            _on_commit_restore(user)
    return user


def _flag_claim(*, flag: Flag, status: str, actor: User | None, note: str) -> Flag:
    """Settle an open flag with one conditional UPDATE.

    Two moderators settling the same flag at once: the row whose update count is 1 won;
    the other gets FLAG_ALREADY_SETTLED, so a score is never reversed twice.
    """
    claimed = Flag.objects.filter(pk=flag.pk, status=Flag.Status.OPEN).update(
        status=status, resolved_at=timezone.now(), resolved_by=actor, resolution_note=note
    )
    if not claimed:
        raise FlagAlreadySettled(
            details={"status": Flag.objects.filter(pk=flag.pk).values_list("status", flat=True).first()}
        )
    flag.refresh_from_db()
    return flag


def flag_approve(*, flag: Flag, actor: User | None, note: str = "", client_ip: str | None = None) -> Flag:
    """Keep the flagged score: the suspicion was unfounded."""
    note = clean_text(note, field="note", required=False)
    with transaction.atomic():
        flag = _flag_claim(flag=flag, status=Flag.Status.APPROVED, actor=actor, note=note)
        audit_record(
            event=AuditEntry.Event.FLAG_APPROVED,
            actor=actor,
            subject=flag.user,
            reason=note,
            client_ip=client_ip,
            details={"flagId": flag.pk, "scoreHistoryId": flag.score_history_id},
        )
    return flag


def flag_void(*, flag: Flag, actor: User | None, note: str = "", client_ip: str | None = None) -> Flag:
    """Reverse the flagged score with a compensating ledger row (never a deletion).

    The reversal goes through ``score_history_record`` (F() update, ledger row; the ranking
    and the broadcast on commit, by the row's receiver). Several flags may point at one
    completion: only the first void reverses it (the ``reverses`` one-to-one is the
    database's last word on that).
    """
    note = clean_text(note, field="note", required=False)
    with transaction.atomic():
        flag = _flag_claim(flag=flag, status=Flag.Status.VOIDED, actor=actor, note=note)
        reversal = _reverse_entry(flag=flag, actor=actor, note=note)
        audit_record(
            event=AuditEntry.Event.FLAG_VOIDED,
            actor=actor,
            subject=flag.user,
            reason=note,
            client_ip=client_ip,
            code="" if reversal else Unchanged.NOTHING_TO_REVERSE,
            details={
                "flagId": flag.pk,
                "scoreHistoryId": flag.score_history_id,
                "reversalId": reversal.pk if reversal else None,
                "increment": reversal.increment if reversal else 0,
            },
        )
        user_id = flag.user_id
        transaction.on_commit(lambda: history.history_forget(user_id))
        # The reversal's own on-commit work (its post_save receiver) sends the top 10.
    return flag


def _reverse_entry(*, flag: Flag, actor: User | None, note: str) -> ScoreHistory | None:
    entry = flag.score_history
    if entry is None or entry.kind != ScoreHistory.Kind.ACTION or entry.increment == 0:
        return None
    # Lock the original row so two voids of different flags on it serialize here.
    entry = ScoreHistory.objects.select_for_update().get(pk=entry.pk)
    if ScoreHistory.objects.filter(reverses=entry).exists():
        return None
    change = score_history_record(
        user=flag.user,
        increment=-entry.increment,
        kind=ScoreHistory.Kind.VOID,
        reverses=entry,
        action_type=entry.action_type,
        reference=entry.reference,
        completed_by=actor,
        note=note or f"flag {flag.pk} voided",
    )
    return change.entry
