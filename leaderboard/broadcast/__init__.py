"""The broadcaster and the per-process fan-out hub: the only module that touches the
channel layer.

PLACEHOLDER INTERFACE (foundation commit): issue 5 implements these.
"""

from __future__ import annotations

from uuid import UUID


def schedule_leaderboard_broadcast() -> None:
    """Send the top 10 again if it changed (coalesced per BROADCAST_INTERVAL_MS)."""


def disconnect_banned_user(user_id: UUID) -> None:
    """Close every open socket of a banned player with code 4403, on every process."""
