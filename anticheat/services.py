"""Anti-cheat writes: the audit trail, flags, and bans (automatic or by a moderator)."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from accounts.models import User
from leaderboard import broadcast, ranking
from leaderboard.models import ScoreHistory
from scoreboard_project import metrics

from .models import AuditEntry, Flag

logger = logging.getLogger("scoreboard.anticheat")

AUTO_BAN_WINDOW_HOURS = 24


def audit_record(
    *,
    event: str,
    actor: User | None = None,
    subject: User | None = None,
    subject_id: Any = None,
    code: str = "",
    reason: str = "",
    client_ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        event=event, actor=actor, subject_id=subject.pk if subject is not None else subject_id,
        code=code, reason=reason, client_ip=client_ip, details=details or {},
    )


def audit_refusal(
    *, actor: User | None, subject_id: Any, code: str, reason: str, client_ip: str | None, details: dict
) -> None:
    """Record a refused request. Call outside any transaction that the refusal rolls back.

    An audit failure is logged, never allowed to replace the refusal the client gets.
    """
    try:
        if subject_id is not None and (actor is None or str(subject_id) != str(actor.pk)):
            if not User.objects.filter(pk=subject_id).exists():  # a signed token may outlive its user
                subject_id = None
        audit_record(
            event="completion_refused", actor=actor, subject_id=subject_id, code=code, reason=reason,
            client_ip=client_ip, details=details,
        )
    except DatabaseError:
        logger.exception("Could not write the audit entry of a refused completion (%s)", code)


def flag_raise(*, user: User, entry: ScoreHistory, reason: str, evidence: dict[str, Any]) -> Flag:
    """A suspicion on one ledger row; the score stands until a moderator settles it."""
    flag = Flag.objects.create(user=user, score_history=entry, reason=reason, evidence=evidence)
    audit_record(
        event="flag_raised", subject=user, code=reason, reason=f"anomaly detector: {reason}",
        details={"flagId": flag.pk, "scoreHistoryId": entry.pk, "evidence": evidence},
    )
    metrics.anti_cheat_flags.labels(reason=reason).inc()
    return flag


def open_flag_count(*, user: User) -> int:
    since = timezone.now() - timedelta(hours=AUTO_BAN_WINDOW_HOURS)
    return Flag.objects.filter(user=user, status=Flag.Status.OPEN, created_at__gte=since).count()


def auto_ban_if_due(*, user: User) -> bool:
    """Ban, pending review, once the open flags of the last 24 h reach the threshold."""
    count = open_flag_count(user=user)
    if count < settings.ANOMALY_DETECTION_THRESHOLD:
        return False
    return ban_player(
        user=user, actor=None,
        reason=f"automatic: {count} open anomaly flags within {AUTO_BAN_WINDOW_HOURS} h, pending review",
    )


def ban_player(*, user: User, actor: User | None, reason: str, client_ip: str | None = None) -> bool:
    """Ban a player: off every leaderboard, sockets closed, tokens refused, at once.

    One conditional UPDATE (``status`` active -> banned) decides, so two simultaneous
    bans write one audit entry and one set of side effects. Returns False when the
    account was already banned. Side effects leave the process on commit only.
    """
    with transaction.atomic():
        changed = User.objects.filter(pk=user.pk, status=User.Status.ACTIVE).update(status=User.Status.BANNED)
        if not changed:
            return False
        user.status = User.Status.BANNED
        audit_record(
            event="auto_ban" if actor is None else "ban", actor=actor, subject=user, code="BANNED",
            reason=reason, client_ip=client_ip,
        )
        user_id = user.pk
        transaction.on_commit(lambda: ranking.ranking_remove_player(user))
        transaction.on_commit(lambda: broadcast.disconnect_banned_user(user_id))
        transaction.on_commit(broadcast.schedule_leaderboard_broadcast)
    logger.info("Banned %s (%s)", user_id, reason)
    return True


def unban_player(*, user: User, actor: User | None, reason: str, client_ip: str | None = None) -> bool:
    """Lift a ban: back on the leaderboards with the score the player had."""
    with transaction.atomic():
        changed = User.objects.filter(pk=user.pk, status=User.Status.BANNED).update(status=User.Status.ACTIVE)
        if not changed:
            return False
        user.status = User.Status.ACTIVE
        audit_record(event="unban", actor=actor, subject=user, code="UNBANNED", reason=reason, client_ip=client_ip)
        transaction.on_commit(lambda: ranking.ranking_restore_player(user))
        transaction.on_commit(broadcast.schedule_leaderboard_broadcast)
    logger.info("Unbanned %s (%s)", user.pk, reason)
    return True
