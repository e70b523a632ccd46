"""Proof and timing checks of a completion. They judge plain values, never an action model.

The server never trusts the client's clock (docs/api.md, "The proof"). ``check_timing`` owns
the rule, and every completion path calls it, proof or not, player or game server:

- the elapsed time the server measured itself, from issuing the token to receiving the
  completion, lies within the type's ``[minDurationMs, maxDurationMs]`` (``too_fast``,
  ``too_slow``);
- the client's claimed ``completionTime``, when there is one, lies within the same
  bounds and exceeds the server's measure by at most CLOCK_TOLERANCE_MS (``clock``):
  the server's measure includes the network both ways, so an honest client's is shorter.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from uuid import UUID

from .exceptions import InvalidProof

CLOCK_TOLERANCE_MS = 250


@dataclass(frozen=True)
class Bounds:
    min_ms: int
    max_ms: int


def proof_checksum(*, proof_key: str, action_id: UUID | str, completion_time_ms: int) -> str:
    """Lowercase hex HMAC-SHA256, keyed with the proof key's bytes, of "{actionId}:{completionTime}"."""
    message = f"{action_id}:{completion_time_ms}".encode()
    return hmac.new(bytes.fromhex(proof_key), message, hashlib.sha256).hexdigest()


def check_proof(
    *, proof_key: str, action_id: UUID, completion_time_ms: int | None, checksum: str | None
) -> None:
    """The proof is present and its checksum is right (reason ``missing`` or ``checksum``)."""
    if completion_time_ms is None or not checksum:
        raise InvalidProof(reason="missing")
    expected = proof_checksum(proof_key=proof_key, action_id=action_id, completion_time_ms=completion_time_ms)
    # Exactly the lowercase hex the contract defines; compare_digest keeps the time constant.
    if not hmac.compare_digest(expected.encode(), checksum.encode()):
        raise InvalidProof(reason="checksum")


def check_timing(*, bounds: Bounds, server_elapsed_ms: int, completion_time_ms: int | None) -> None:
    """The contract's timing rule, the one place it lives (reasons too_fast, too_slow, clock).

    The server's own measure is judged first and always: a proof never weakens it.
    """
    _within(server_elapsed_ms, bounds, measured_by="server")
    if completion_time_ms is None:
        return
    _within(completion_time_ms, bounds, measured_by="client")
    if completion_time_ms > server_elapsed_ms + CLOCK_TOLERANCE_MS:
        raise InvalidProof(
            reason="clock",
            details={
                "completionTime": completion_time_ms,
                "serverElapsedMs": server_elapsed_ms,
                "toleranceMs": CLOCK_TOLERANCE_MS,
            },
        )


def _within(duration_ms: int, bounds: Bounds, *, measured_by: str) -> None:
    measured = {"measuredBy": measured_by, "elapsedMs": duration_ms}
    if duration_ms < bounds.min_ms:
        raise InvalidProof(reason="too_fast", details={"minDurationMs": bounds.min_ms, **measured})
    if duration_ms > bounds.max_ms:
        raise InvalidProof(reason="too_slow", details={"maxDurationMs": bounds.max_ms, **measured})
