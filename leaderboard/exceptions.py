"""Error codes of the leaderboard's real-time side (the named boards' are in ``boards/errors.py``)."""

from __future__ import annotations

from scoreboard_project.errors import ApplicationError


class UnknownChannel(ApplicationError):
    """Sent as an ``error`` message on /ws/scoreboard; the socket stays open."""

    code, status, message = (
        "UNKNOWN_CHANNEL",
        400,
        "Channels are 'leaderboard' and 'leaderboard:{key}' of an existing board.",
    )
