"""Small helpers shared by the actions API tests."""

from __future__ import annotations


def error_of(response) -> dict:
    body = response.json()
    assert body["success"] is False
    return body["error"]


def token_error(response) -> tuple[int, str, str | None]:
    error = error_of(response)
    return response.status_code, error["code"], (error.get("details") or {}).get("reason")


def checksum_for(issued, completion_time: int) -> str:
    from anticheat.proofs import proof_checksum

    return proof_checksum(proof_key=issued.proof_key, action_id=issued.action_id, completion_time_ms=completion_time)
