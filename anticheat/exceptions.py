"""The anti-cheat and moderation error codes, and the codes of moderation steps that changed nothing."""

from __future__ import annotations

from enum import StrEnum

from scoreboard_project.errors import ApplicationError, ReasonedError


class InvalidProof(ReasonedError):
    """422: the client's proof fails. The token is burned: no retry with a better guess."""

    code, status, message = "INVALID_PROOF", 422, "The proof of completion is not valid."

    reasons = {
        "checksum": "The proof checksum is wrong.",
        "missing": "A proof of completion is required.",
        "too_fast": "The completion time is below the action type's minimum.",
        "too_slow": "The completion time is above the action type's maximum.",
        "clock": "The completion time exceeds the time the server measured.",
    }


class FlagAlreadySettled(ApplicationError):
    code, status, message = "FLAG_ALREADY_SETTLED", 409, "This flag was already approved or voided."


class CannotBanStaff(ApplicationError):
    code, status, message = (
        "CANNOT_BAN_STAFF",
        409,
        "Staff accounts cannot be banned here; remove their staff status first.",
    )


class Unchanged(StrEnum):
    """``AuditEntry.code`` of an idempotent moderation step that changed nothing (not an error:
    the request succeeds)."""

    ALREADY_BANNED = "ALREADY_BANNED"
    NOT_BANNED = "NOT_BANNED"
    NOTHING_TO_REVERSE = "NOTHING_TO_REVERSE"
    NO_DISPLAY_NAME = "NO_DISPLAY_NAME"
