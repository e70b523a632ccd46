"""The contract's error codes of the named leaderboards."""

from __future__ import annotations

from scoreboard_project.errors import ApplicationError


class BoardExists(ApplicationError):
    code, status, message = "BOARD_EXISTS", 409, "A leaderboard with this key already exists."


class BoardHasRecords(ApplicationError):
    code, status, message = (
        "BOARD_HAS_RECORDS",
        409,
        "operator and sortOrder cannot change once the board has a record.",
    )


class BoardClosed(ApplicationError):
    code, status, message = "BOARD_CLOSED", 409, "This leaderboard is not open for writes now."
