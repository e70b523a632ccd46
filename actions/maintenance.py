"""Housekeeping of action tokens."""

from __future__ import annotations

from datetime import datetime

from .models import ActionToken


def action_tokens_purge(*, expired_before: datetime) -> int:
    """Delete tokens that expired before ``expired_before``; returns how many.

    Safe for the ledger: a score history row keeps the action id, not a foreign key, and
    an expired token is refused as ``expired`` before its row would ever be read.
    """
    deleted, _ = ActionToken.objects.filter(expires_at__lt=expired_before).delete()
    return deleted
