from __future__ import annotations

from rest_framework import exceptions

from scoreboard_project.errors import ApplicationError


class AccountBanned(exceptions.APIException):
    """An APIException (not an ApplicationError) because DRF raises it during authentication."""

    status_code = 403
    default_detail = "This account is banned."
    contract_code = "ACCOUNT_BANNED"


class UsernameTaken(ApplicationError):
    code, status, message = "USERNAME_TAKEN", 409, "That username is taken."


class InvalidCredentials(ApplicationError):
    code, status, message = "INVALID_CREDENTIALS", 401, "Invalid username or password."


class TokenInvalid(ApplicationError):
    code, status, message = "TOKEN_INVALID", 401, "The token is invalid, expired or revoked."


class AccountBannedError(ApplicationError):
    code, status, message = "ACCOUNT_BANNED", 403, "This account is banned."
