"""The audit trail: who did what, when and why."""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError

from accounts.models import User
from scoreboard_project.errors import ApplicationError

from .models import AuditEntry

logger = logging.getLogger("scoreboard.anticheat")


def audit_record(
    *,
    event: AuditEntry.Event,
    actor: User | None = None,
    subject: User | None = None,
    subject_id: Any = None,
    code: str = "",
    reason: str = "",
    client_ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        event=event,
        actor=actor,
        subject_id=subject.pk if subject is not None else subject_id,
        code=code,
        reason=reason,
        client_ip=client_ip,
        details=details or {},
    )


def audit_refusal(
    *,
    actor: User | None,
    subject_id: Any,
    error: ApplicationError,
    client_ip: str | None,
    details: dict,
    event: AuditEntry.Event = AuditEntry.Event.COMPLETION_REFUSED,
) -> None:
    """Record a refused request (a completion, or with ``event`` an action request): the
    error's code, its reason (``details.reason``, else its message), its status and details
    beside ``details``. Call outside any transaction that the refusal rolls back.

    An audit failure is logged, never allowed to replace the refusal the client gets.
    """
    error.audited = True
    code = error.code
    reason = str((error.details or {}).get("reason") or error.message)
    details = {**details, "status": error.status, **(error.details or {})}
    try:
        if subject_id is not None and (actor is None or str(subject_id) != str(actor.pk)):
            if not User.objects.filter(pk=subject_id).exists():  # a signed token may outlive its user
                subject_id = None
        audit_record(
            event=event,
            actor=actor,
            subject_id=subject_id,
            code=code,
            reason=reason,
            client_ip=client_ip,
            details=details,
        )
    except DatabaseError:
        logger.exception("Could not write the audit entry of a refused %s (%s)", event, code)
