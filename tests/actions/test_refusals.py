"""Completions the actions API refuses: replays, forged or foreign tokens, bad proofs,
wrong types, and "once per reference" (literal URLs)."""

from __future__ import annotations

import pytest

from actions.models import ActionToken
from anticheat.models import AuditEntry
from leaderboard.models import ScoreHistory
from tests.helpers.actions import (
    age_action,
    checksum_for,
    complete_token,
    error_of,
    proof_for,
    request_token,
    token_error,
)

pytestmark = pytest.mark.django_db


def test_it_refuses_a_replayed_token(alice, client_for, many_completions):
    client = client_for(alice)
    issued = request_token(client)
    age_action(issued["actionId"], 5)
    assert complete_token(client, issued).status_code == 200
    response = complete_token(client, issued)
    assert response.status_code == 409
    assert error_of(response)["code"] == "TOKEN_ALREADY_USED"
    alice.refresh_from_db()
    assert alice.score == 100


def test_it_refuses_a_tampered_token(alice, client_for):
    client = client_for(alice)
    issued = request_token(client)
    version, kid, body, signature = issued["actionToken"].split(".")
    forged = {**issued, "actionToken": f"{version}.{kid}.{body[:-2]}AA.{signature}"}
    assert token_error(complete_token(client, forged)) == (400, "INVALID_ACTION_TOKEN", "signature")
    garbage = {**issued, "actionToken": "not-a-token"}
    assert token_error(complete_token(client, garbage)) == (400, "INVALID_ACTION_TOKEN", "malformed")
    not_ascii = {**issued, "actionToken": f"{version}.k\u00e4.{body}.{signature}"}
    assert token_error(complete_token(client, not_ascii)) == (400, "INVALID_ACTION_TOKEN", "malformed")
    assert ActionToken.objects.get(pk=issued["actionId"]).used_at is None


def test_it_refuses_an_expired_token(alice, client_for, settings):
    from datetime import timedelta
    from unittest import mock

    from django.utils import timezone

    client = client_for(alice)
    issued = request_token(client)
    later = timezone.now() + timedelta(seconds=settings.ACTION_TOKEN_TTL + 1)
    with mock.patch("actions.clock.now", return_value=later):
        response = complete_token(client, issued)
    assert token_error(response) == (400, "INVALID_ACTION_TOKEN", "expired")


def test_it_refuses_a_token_for_another_action(alice, client_for, many_completions):
    client = client_for(alice)
    first, second = request_token(client), request_token(client)
    response = complete_token(client, {**first, "actionId": second["actionId"]})
    assert token_error(response) == (400, "INVALID_ACTION_TOKEN", "mismatch")


def test_it_refuses_another_players_token(alice, bob, client_for):
    issued = request_token(client_for(alice))
    age_action(issued["actionId"], 5)
    response = complete_token(client_for(bob), issued)
    assert token_error(response)[:2] == (403, "TOKEN_USER_MISMATCH")
    bob.refresh_from_db()
    alice.refresh_from_db()
    assert bob.score == alice.score == 0


def test_it_lets_a_game_server_complete_for_a_player(alice, game_server, client_for):
    issued = request_token(client_for(alice), "DEFEAT_BOSS")
    age_action(issued["actionId"], 5)
    response = complete_token(client_for(game_server), issued, 3000)
    assert response.status_code == 200, response.content
    alice.refresh_from_db()
    game_server.refresh_from_db()
    assert alice.score == 500 and game_server.score == 0
    assert ScoreHistory.objects.get(user=alice).completed_by == game_server


def test_it_keeps_authoritative_types_for_game_servers(alice, client_for):
    client = client_for(alice)
    issued = request_token(client, "DEFEAT_BOSS")
    age_action(issued["actionId"], 5)
    response = complete_token(client, issued, 3000)
    assert token_error(response)[:2] == (403, "AUTHORITATIVE_ACTION")
    assert ActionToken.objects.get(pk=issued["actionId"]).used_at is None  # not burned


@pytest.mark.parametrize(
    "completion_time, aged, proof, reason",
    [
        (1500, 5, {"completionTime": 1500, "checksum": "0" * 64}, "checksum"),
        (None, 5, None, "missing"),
        (1500, 5, {"completionTime": 1500}, "missing"),
        (999, 5, "auto", "too_fast"),
        (300001, 400, "auto", "too_slow"),
        (9000, 5, "auto", "clock"),
    ],
)
def test_it_refuses_a_bad_proof_and_burns_the_token(
    alice, client_for, completion_time, aged, proof, reason, many_completions
):
    client = client_for(alice)
    issued = request_token(client)
    age_action(issued["actionId"], aged)
    extra = {}
    if proof == "auto":
        extra["proof"] = proof_for(issued, completion_time)
    elif proof is not None:
        extra["proof"] = proof
    response = complete_token(client, issued, None, **extra)
    assert token_error(response) == (422, "INVALID_PROOF", reason)
    assert ActionToken.objects.get(pk=issued["actionId"]).outcome == "proof_failed"
    retry = complete_token(client, issued, min(max(completion_time or 1500, 1000), 4000))
    assert token_error(retry)[:2] == (409, "TOKEN_ALREADY_USED")
    alice.refresh_from_db()
    assert alice.score == 0 and not ScoreHistory.objects.exists()
    audit = AuditEntry.objects.filter(event="completion_refused", code="INVALID_PROOF").get()
    assert audit.reason == reason and audit.subject == alice and audit.actor == alice
    assert audit.client_ip == "127.0.0.1"


def test_it_ignores_fields_a_client_must_not_set(alice, bob, client_for, many_completions):
    client = client_for(alice)
    issued = request_token(client, score=10**6, points=10**6, userId=str(bob.pk))
    assert issued["expectedScore"] == 100
    age_action(issued["actionId"], 5)
    response = complete_token(
        client, issued, 2000, score=10**6, scoreIncrement=10**6, points=10**6, newScore=10**6
    )
    assert response.status_code == 200
    assert response.json()["data"]["newScore"] == 100
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert (alice.score, bob.score) == (100, 0)


def test_it_scores_a_quest_once_per_reference(alice, client_for, many_completions):
    client = client_for(alice)
    first = request_token(client, "COMPLETE_QUEST", reference="dragon")
    second = request_token(client, "COMPLETE_QUEST", reference="dragon")  # both issued before scoring
    for issued in (first, second):
        age_action(issued["actionId"], 5)
    assert complete_token(client, first).status_code == 200
    response = complete_token(client, second)
    assert token_error(response)[:2] == (409, "ACTION_ALREADY_COMPLETED")
    assert ActionToken.objects.get(pk=second["actionId"]).used_at is None  # refused, not burned
    again = client.post(
        "/api/v1/actions/request", {"actionType": "COMPLETE_QUEST", "reference": "dragon"}, format="json"
    )
    assert token_error(again)[:2] == (409, "ACTION_ALREADY_COMPLETED")
    assert request_token(client, "COMPLETE_QUEST", reference="castle")
    alice.refresh_from_db()
    assert alice.score == 250


def test_it_lets_the_database_settle_a_race_on_one_reference(alice, many_completions):
    """Two tokens for one quest reference slip past the check: the unique constraint decides."""
    from unittest import mock

    from actions import services
    from actions.scoring import Proof
    from scoreboard_project.errors import ApplicationError

    client_issued = [
        services.action_request(user=alice, action_type="COMPLETE_QUEST", reference="r") for _ in range(2)
    ]
    for issued in client_issued:
        age_action(str(issued.action_id), 5)
    results = []
    with mock.patch("actions.scoring.already_scored", return_value=False):
        for issued in client_issued:
            try:
                services.action_complete(
                    user=alice,
                    token=issued.action_token,
                    action_id=issued.action_id,
                    proof=Proof(1500, checksum_for(issued, 1500)),
                )
                results.append("ok")
            except ApplicationError as exc:
                results.append(exc.code)
    assert results == ["ok", "ACTION_ALREADY_COMPLETED"]
    assert ScoreHistory.objects.filter(user=alice).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"actionToken": 123, "actionId": "00000000-0000-4000-8000-000000000000"}, "actionToken"),
        ({"actionToken": "t", "actionId": 5}, "actionId"),
        ({"actionToken": "t", "actionId": "not-a-uuid"}, "actionId"),
        ({"actionToken": "t", "actionId": "00000000-0000-4000-8000-000000000000", "proof": "x"}, "proof"),
        (
            {
                "actionToken": "t",
                "actionId": "00000000-0000-4000-8000-000000000000",
                "proof": {"completionTime": "1500", "checksum": "ab"},
            },
            "proof",
        ),
        (
            {
                "actionToken": "t",
                "actionId": "00000000-0000-4000-8000-000000000000",
                "proof": {"completionTime": 1500.5, "checksum": "ab"},
            },
            "proof",
        ),
        (
            {
                "actionToken": "t",
                "actionId": "00000000-0000-4000-8000-000000000000",
                "proof": {"completionTime": True, "checksum": "ab"},
            },
            "proof",
        ),
    ],
)
def test_it_refuses_wrong_types_in_a_completion(alice, client_for, body, field):
    response = client_for(alice).post("/api/v1/actions/complete", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert field in response.json()["error"]["details"]


def test_it_refuses_a_non_string_action_type(alice, client_for):
    response = client_for(alice).post("/api/v1/actions/request", {"actionType": 7}, format="json")

    assert response.status_code == 400
    assert "actionType" in response.json()["error"]["details"]


def test_it_refuses_an_upper_casechecksum_for(alice, client_for):
    client = client_for(alice)
    issued = request_token(client)
    age_action(issued["actionId"], 5)
    proof = proof_for(issued, 2000)
    response = client.post(
        "/api/v1/actions/complete",
        {
            "actionToken": issued["actionToken"],
            "actionId": issued["actionId"],
            "proof": {**proof, "checksum": proof["checksum"].upper()},
        },
        format="json",
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"]["reason"] == "checksum"


def test_it_writes_refused_action_requests_to_the_audit_trail(alice, bob, client_for, settings):
    """The contract: a request that fails any check is written to the audit trail (/actions/request
    and its alias too, not only completions)."""
    settings.RATE_LIMIT_REQUESTS_PER_MINUTE = 2  # the unknown type's attempt counts as one
    client = client_for(alice)
    post = client.post
    assert post("/api/v1/actions/request", {"actionType": "NOPE"}, format="json").status_code == 400
    forged = post(
        "/api/v1/actions/initialize", {"actionType": "COMPLETE_LEVEL", "userId": str(bob.pk)}, format="json"
    )
    assert forged.status_code == 403
    assert post("/api/v1/actions/request", {"actionType": "COMPLETE_LEVEL"}, format="json").status_code == 201
    assert post("/api/v1/actions/request", {"actionType": "COMPLETE_LEVEL"}, format="json").status_code == 429
    entries = AuditEntry.objects.filter(event="request_refused").order_by("created_at", "id")
    assert [(e.code, e.actor_id, e.subject_id) for e in entries] == [
        ("UNKNOWN_ACTION_TYPE", alice.pk, alice.pk),
        ("FORBIDDEN", alice.pk, alice.pk),
        ("RATE_LIMIT_EXCEEDED", alice.pk, alice.pk),
    ]
    assert entries[0].details["actionType"] == "NOPE" and entries[0].client_ip == "127.0.0.1"


def test_it_writes_refusals_before_the_service_to_the_audit_trail_too(alice, client_for):
    """A body that is not valid (or not JSON) is refused before the service: audited, once."""
    client = client_for(alice)
    bad = [
        ("/api/v1/actions/request", {}),
        ("/api/v1/actions/request", {"actionType": "COMPLETE_LEVEL", "metadata": "text"}),
        ("/api/v1/actions/initialize", {"actionType": "COMPLETE_LEVEL", "userId": "not-a-uuid"}),
        ("/api/v1/actions/complete", {"actionId": "not-a-uuid"}),
    ]
    for path, body in bad:
        assert client.post(path, body, format="json").status_code == 400
    not_json = client.post("/api/v1/actions/request", "{nope", content_type="application/json")
    assert not_json.status_code == 400
    found = list(AuditEntry.objects.order_by("created_at", "id").values_list("event", "code", "actor_id"))
    assert found == [
        ("request_refused", "VALIDATION_ERROR", alice.pk),
        ("request_refused", "VALIDATION_ERROR", alice.pk),
        ("request_refused", "VALIDATION_ERROR", alice.pk),
        ("completion_refused", "VALIDATION_ERROR", alice.pk),
        ("request_refused", "VALIDATION_ERROR", alice.pk),
    ]
    assert AuditEntry.objects.first().details["path"] == "/api/v1/actions/request"
