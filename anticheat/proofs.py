"""Proof and timing checks of a completion. They judge plain values, never an action model.

The server never trusts the client's clock: the claimed ``completion_time_ms`` must lie
within the type's bounds and must not exceed what the server measured between request
and completion, plus CLOCK_TOLERANCE_MS.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from uuid import UUID

from .exceptions import InvalidProof

CLOCK_TOLERANCE_MS = 2000


@dataclass(frozen=True)
class Bounds:
    min_ms: int
    max_ms: int


def proof_checksum(*, proof_key: str, action_id: UUID | str, completion_time_ms: int) -> str:
    """Lowercase hex HMAC-SHA256, keyed with the proof key's bytes, of "{actionId}:{completionTime}"."""
    message = f"{action_id}:{completion_time_ms}".encode()
    return hmac.new(bytes.fromhex(proof_key), message, hashlib.sha256).hexdigest()


def check_proof(
    *,
    proof_key: str,
    action_id: UUID,
    completion_time_ms: int | None,
    checksum: str | None,
    bounds: Bounds,
    server_elapsed_ms: int,
) -> None:
    """Raise InvalidProof (reason checksum, missing, too_fast, too_slow or clock)."""
    if completion_time_ms is None or not checksum:
        raise InvalidProof(reason="missing")
    expected = proof_checksum(proof_key=proof_key, action_id=action_id, completion_time_ms=completion_time_ms)
    # Exactly the lowercase hex the contract defines; compare_digest keeps the time constant.
    if not hmac.compare_digest(expected.encode(), checksum.encode()):
        raise InvalidProof(reason="checksum")
    check_duration(completion_time_ms, bounds)
    if completion_time_ms > server_elapsed_ms + CLOCK_TOLERANCE_MS:
        raise InvalidProof(
            reason="clock", details={"completionTime": completion_time_ms, "serverElapsedMs": server_elapsed_ms}
        )


def check_duration(duration_ms: int, bounds: Bounds) -> None:
    """The duration lies within the action type's [min, max]."""
    if duration_ms < bounds.min_ms:
        raise InvalidProof(reason="too_fast", details={"minDurationMs": bounds.min_ms})
    if duration_ms > bounds.max_ms:
        raise InvalidProof(reason="too_slow", details={"maxDurationMs": bounds.max_ms})
