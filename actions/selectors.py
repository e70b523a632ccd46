"""Reads the actions API needs from other apps."""

from __future__ import annotations

from leaderboard.selectors import Entry, top_entries


def leaderboard_top(limit: int = 10) -> list[Entry]:
    """The all-time top ``limit`` returned by ``/scoreboard/update``: the leaderboard's own read."""
    return top_entries(limit)
