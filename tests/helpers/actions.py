"""Actions in the tests: the seeded catalog, request / age / complete a token without
sleeping, and reading the error a refusal carries."""

from __future__ import annotations

from rest_framework.test import APIClient


def error_of(response) -> dict:
    body = response.json()
    assert body["success"] is False
    return body["error"]


def token_error(response) -> tuple[int, str, str | None]:
    error = error_of(response)
    return response.status_code, error["code"], (error.get("details") or {}).get("reason")


def checksum_for(issued, completion_time: int) -> str:
    from anticheat.proofs import proof_checksum

    return proof_checksum(
        proof_key=issued.proof_key, action_id=issued.action_id, completion_time_ms=completion_time
    )


def seed_action_types() -> None:
    """The action types migrations 0002 and 0004 create (a transactional test's flush deletes them)."""
    import importlib

    from django.apps import apps

    importlib.import_module("actions.migrations.0002_seed_action_types").create_action_types(apps, None)
    importlib.import_module("actions.migrations.0004_seed_daily_limits").set_daily_limits(apps, None)


def request_token(client: APIClient, action_type: str = "COMPLETE_LEVEL", **extra) -> dict:
    """POST /actions/request; the response's ``data`` (asserts 201)."""
    response = client.post("/api/v1/actions/request", {"actionType": action_type, **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["data"]


def age_action(action_id: str, seconds: float) -> None:
    """Move an action's start back, as if the player had been playing for ``seconds``."""
    from datetime import timedelta

    from actions.models import ActionToken

    token = ActionToken.objects.get(pk=action_id)
    ActionToken.objects.filter(pk=action_id).update(created_at=token.created_at - timedelta(seconds=seconds))


def proof_for(issued: dict, completion_time: int) -> dict:
    from anticheat.proofs import proof_checksum

    checksum = proof_checksum(
        proof_key=issued["proofKey"], action_id=issued["actionId"], completion_time_ms=completion_time
    )
    return {"completionTime": completion_time, "checksum": checksum}


def complete_token(
    client: APIClient,
    issued: dict,
    completion_time: int | None = 1500,
    *,
    path: str = "/api/v1/actions/complete",
    **extra,
):
    """POST the completion of ``issued``, with a correct proof unless ``completion_time`` is None."""
    body = {"actionToken": issued["actionToken"], "actionId": issued["actionId"], **extra}
    if completion_time is not None and "proof" not in extra:
        body["proof"] = proof_for(issued, completion_time)
    return client.post(path, body, format="json")


def complete_aged(client: APIClient, action_type: str = "COMPLETE_LEVEL", completion_time: int = 2000):
    """Request an action, make it 5 s old (past any minimum), complete it with a valid proof."""
    issued = request_token(client, action_type)
    age_action(issued["actionId"], 5)
    return complete_token(client, issued, completion_time)
