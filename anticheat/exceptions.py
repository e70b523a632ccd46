from __future__ import annotations

from scoreboard_project.errors import ReasonedError


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
