"""A moderator resets an offensive display name back to the username, audited."""

from __future__ import annotations

from django.db import transaction

from accounts.display_names import display_name_reset
from accounts.models import User

from .audit import audit_record
from .exceptions import Unchanged
from .models import AuditEntry
from .moderation import clean_text


def display_name_moderate(
    *, user: User, actor: User | None, reason: str, client_ip: str | None = None
) -> User:
    """The player's boards show their username again; the old name is kept in the audit trail."""
    reason = clean_text(reason, field="reason", required=True)
    with transaction.atomic():
        previous = display_name_reset(user=user)
        audit_record(
            event=AuditEntry.Event.DISPLAY_NAME_RESET,
            actor=actor,
            subject=user,
            reason=reason,
            client_ip=client_ip,
            code="" if previous else Unchanged.NO_DISPLAY_NAME,
            details={"previousDisplayName": previous},
        )
    return user
