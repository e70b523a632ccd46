from __future__ import annotations

from scoreboard_project.errors import ApplicationError


class UsernameTaken(ApplicationError):
    code, status, message = "USERNAME_TAKEN", 409, "That username is taken."


class InvalidCredentials(ApplicationError):
    code, status, message = "INVALID_CREDENTIALS", 401, "Invalid username or password."


class AccountBanned(ApplicationError):
    """Raised during DRF authentication it travels inside ``AuthenticationRefused``."""

    code, status, message = "ACCOUNT_BANNED", 403, "This account is banned."


class FriendLimitReached(ApplicationError):
    code, status = "FRIEND_LIMIT_REACHED", 409

    def __init__(self, limit: int) -> None:
        super().__init__(f"You follow {limit} players already.")
