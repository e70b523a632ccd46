"""Anti-cheat writes: flags from the detectors, and the automatic ban they lead to."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from leaderboard.models import ScoreHistory
from scoreboard_project import metrics

from . import moderation
from .audit import audit_record
from .baselines import baseline_get
from .detectors import Trace, run_detectors
from .exceptions import CannotBanStaff
from .history import recent_history
from .models import AuditEntry, Flag

logger = logging.getLogger("scoreboard.anticheat")

AUTO_BAN_WINDOW_HOURS = 24


def flag_raise(*, user: User, entry: ScoreHistory, reason: str, evidence: dict[str, Any]) -> Flag:
    """A suspicion on one ledger row; the score stands until a moderator settles it."""
    flag = Flag.objects.create(user=user, score_history=entry, reason=reason, evidence=evidence)
    audit_record(
        event=AuditEntry.Event.FLAG_RAISED,
        subject=user,
        code=reason,
        reason=f"anomaly detector: {reason}",
        details={"flagId": flag.pk, "scoreHistoryId": entry.pk, "evidence": evidence},
    )
    metrics.anti_cheat_flags.labels(reason=reason).inc()
    return flag


def flags_open_count(*, user: User) -> int:
    since = timezone.now() - timedelta(hours=AUTO_BAN_WINDOW_HOURS)
    return Flag.objects.filter(user=user, status=Flag.Status.OPEN, created_at__gte=since).count()


def player_auto_ban_if_due(*, user: User) -> bool:
    """Ban, pending review, once the open flags of the last 24 h reach the threshold."""
    count = flags_open_count(user=user)
    if count < settings.ANOMALY_DETECTION_THRESHOLD or user.is_banned:
        return False
    try:
        moderation.player_ban(
            user=user,
            actor=None,
            reason=f"automatic: {count} open anomaly flags within {AUTO_BAN_WINDOW_HOURS} h, pending review",
        )
    except CannotBanStaff:
        return False
    return True


def anomalies_detect(
    *, user: User, entry: ScoreHistory, min_duration_ms: int, arrived_at: datetime | None = None
) -> list[Flag]:
    """Run every detector on a committed ledger row; flag what they find; ban at the threshold.

    ``arrived_at``: when the completion reached the server (the rhythm between completions
    is judged on arrivals, free of the server's own queueing).
    """
    trace = Trace(
        action_type=entry.action_type,
        min_duration_ms=min_duration_ms,
        created_at=arrived_at or entry.created_at,
        history=recent_history(user, entry, arrived_at),
        baseline=baseline_get(entry.action_type),
    )
    findings = run_detectors(trace)
    if not findings:
        return []
    with transaction.atomic():
        flags = [flag_raise(user=user, entry=entry, reason=f.reason, evidence=f.evidence) for f in findings]
        player_auto_ban_if_due(user=user)
    logger.info("Flagged %s: %s", user.pk, ", ".join(f.reason for f in findings))
    return flags
