"""The contract's error codes of ``/actions/*`` (docs/api.md, "Errors of /actions/*")."""

from __future__ import annotations

from scoreboard_project.errors import ApplicationError, ReasonedError


class UnknownActionType(ApplicationError):
    code, status, message = "UNKNOWN_ACTION_TYPE", 400, "No such action type, or it is disabled."


class UnknownReference(ApplicationError):
    code, status, message = "UNKNOWN_REFERENCE", 400, "This action type does not list this reference."


class InvalidActionToken(ReasonedError):
    code, status, message = "INVALID_ACTION_TOKEN", 400, "The action token is not valid."
    reasons = {
        "malformed": "The action token is malformed.",
        "signature": "The action token's signature does not verify.",
        "expired": "The action token has expired.",
        "mismatch": "The action token does not match this action.",
    }


class TokenUserMismatch(ApplicationError):
    code, status, message = "TOKEN_USER_MISMATCH", 403, "This action token belongs to another user."


class AuthoritativeAction(ApplicationError):
    code, status, message = "AUTHORITATIVE_ACTION", 403, "Only a game server may complete this action type."


class TokenAlreadyUsed(ApplicationError):
    code, status, message = "TOKEN_ALREADY_USED", 409, "This action token was already used."


class ActionAlreadyCompleted(ApplicationError):
    code, status, message = (
        "ACTION_ALREADY_COMPLETED",
        409,
        "This action was already completed for this reference.",
    )
