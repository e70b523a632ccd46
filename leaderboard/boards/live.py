"""Real time of the named boards (filled in by the live step)."""

from __future__ import annotations

from .models import Leaderboard


def board_changed(board: Leaderboard) -> None:
    """A board's top 10 may have changed: broadcast it under the usual rules."""
