"""The actions API against literal URLs: request, complete, and the aliases."""

from __future__ import annotations

import json

import pytest

from accounts.models import User
from actions.models import ActionToken
from anticheat.models import AuditEntry
from leaderboard.models import ScoreHistory
from tests.helpers.actions import age_action, complete_token, error_of, proof_for, request_token, token_error
from tests.helpers.players import make_player

pytestmark = pytest.mark.django_db


def test_it_lists_the_action_types(api_client):
    response = api_client.get("/api/v1/actions/types")
    assert response.status_code == 200
    types = {t["actionType"]: t for t in response.json()["data"]["actionTypes"]}
    assert types["COMPLETE_LEVEL"] == {
        "actionType": "COMPLETE_LEVEL",
        "points": 100,
        "minDurationMs": 1000,
        "maxDurationMs": 300000,
        "repeatable": True,
        "authoritative": False,
        "dailyLimit": None,
        "references": None,
    }
    assert types["DEFEAT_BOSS"]["authoritative"] is True
    assert types["COMPLETE_QUEST"]["repeatable"] is False
    assert types["COMPLETE_QUEST"]["dailyLimit"] == 20


def test_it_issues_an_action(alice, client_for):
    data = request_token(client_for(alice), reference="level-1", metadata={"levelName": "Intro"})
    assert set(data) == {"actionToken", "actionId", "expiresAt", "expectedScore", "proofKey"}
    assert data["expectedScore"] == 100
    assert data["expiresAt"].endswith("Z")
    token = ActionToken.objects.get(pk=data["actionId"])
    assert token.token_hash != data["actionToken"] and data["actionToken"] not in token.token_hash
    assert token.reference == "level-1"
    assert token.metadata == {"levelName": "Intro"}  # the client's keys, not snake_cased


def test_it_requires_authentication_to_request(api_client, db):
    response = api_client.post("/api/v1/actions/request", {"actionType": "COMPLETE_LEVEL"}, format="json")
    assert response.status_code == 401


def test_it_refuses_an_unknown_or_disabled_type(alice, client_for):
    from actions.models import ActionType

    client = client_for(alice)
    response = client.post("/api/v1/actions/request", {"actionType": "FLY_TO_MOON"}, format="json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "UNKNOWN_ACTION_TYPE"
    ActionType.objects.filter(code="COMPLETE_LEVEL").update(enabled=False)
    from actions.catalog import action_kind_forget

    action_kind_forget("COMPLETE_LEVEL")  # .update() sends no signal; the admin's save() does
    response = client.post("/api/v1/actions/request", {"actionType": "COMPLETE_LEVEL"}, format="json")
    assert error_of(response)["code"] == "UNKNOWN_ACTION_TYPE"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"actionType": "COMPLETE_LEVEL", "reference": "x" * 101}, "reference"),
        ({"actionType": "COMPLETE_LEVEL", "metadata": ["not", "an", "object"]}, "metadata"),
        ({"actionType": "COMPLETE_LEVEL", "metadata": {"blob": "x" * 4100}}, "metadata"),
        ({"actionType": "COMPLETE_LEVEL", "metadata": {"a": "\u0000"}}, "metadata"),  # jsonb: a 500 before
        ({"actionType": "COMPLETE_LEVEL", "metadata": {"\u0000": ["x"]}}, "metadata"),
        ({"actionType": "COMPLETE_LEVEL", "metadata": {"a": ["\udfff"]}}, "metadata"),  # lone surrogate
        ({"actionType": "COMPLETE_LEVEL", "metadata": {"a": [2**64]}}, "metadata"),  # beyond 64 bits
        ({"actionType": 12}, None),
        ({}, "actionType"),
    ],
)
def test_it_names_the_fields_of_a_bad_request(alice, client_for, body, field):
    raw = json.dumps(body)  # ASCII: a lone surrogate goes as the escape a client would send
    response = client_for(alice).post("/api/v1/actions/request", raw, content_type="application/json")
    if field is None:  # a number is coerced to the string "12": an unknown type
        assert response.status_code == 400
        return
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "VALIDATION_ERROR"
    assert field in error["details"]
    assert not ActionToken.objects.exists()


def test_it_completes_an_action(alice, bob, client_for):
    User.objects.filter(pk=bob.pk).update(score=50)
    client = client_for(alice)
    issued = request_token(client)
    age_action(issued["actionId"], 5)
    response = complete_token(client, issued, 4000)
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data == {
        "actionId": issued["actionId"],
        "scoreIncrement": 100,
        "previousScore": 0,
        "newScore": 100,
        "rank": 1,
        "previousRank": 2,
        "rankChange": 1,
        "message": data["message"],
    }
    alice.refresh_from_db()
    assert alice.score == 100 and alice.total_actions == 1
    entry = ScoreHistory.objects.get(user=alice)
    assert entry.increment == 100 and entry.completion_time_ms == 4000
    assert entry.server_elapsed_ms >= 5000
    token = ActionToken.objects.get(pk=issued["actionId"])
    assert token.used_at is not None and token.outcome == "completed"


def test_it_initializes_through_the_alias(alice, bob, client_for, many_completions):
    client = client_for(alice)
    response = client.post(
        "/api/v1/actions/initialize",
        {"actionType": "COMPLETE_LEVEL", "actionId": "lvl-7", "userId": str(alice.pk)},
        format="json",
    )
    assert response.status_code == 201
    assert ActionToken.objects.get(pk=response.json()["data"]["actionId"]).reference == "lvl-7"
    foreign = client.post(
        "/api/v1/actions/initialize", {"actionType": "COMPLETE_LEVEL", "userId": str(bob.pk)}, format="json"
    )
    assert foreign.status_code == 403
    assert error_of(foreign)["code"] == "FORBIDDEN"


def test_it_updates_the_scoreboard_through_the_alias(alice, bob, client_for, many_completions):
    User.objects.filter(pk=bob.pk).update(score=300)
    make_player("carol", score=100)
    client = client_for(alice)
    issued = request_token(client)
    age_action(issued["actionId"], 3)
    response = complete_token(client, issued, None, path="/api/v1/scoreboard/update", userId=str(alice.pk))
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["userId"] == str(alice.pk) and data["newScore"] == 100 and data["rank"] == 2
    board = data["leaderboard"]
    assert [(e["username"], e["rank"], e["score"]) for e in board] == [
        ("bob", 1, 300),
        ("carol", 2, 100),
        ("alice", 2, 100),
    ]
    assert set(board[0]) == {"rank", "userId", "username", "displayName", "score", "updatedAt"}


def test_it_still_checks_the_server_time_without_a_proof(alice, bob, client_for, many_completions):
    client = client_for(alice)
    issued = request_token(client)  # not aged: the server measured well under minDurationMs
    response = complete_token(client, issued, None, path="/api/v1/scoreboard/update")
    assert token_error(response) == (422, "INVALID_PROOF", "too_fast")
    other = request_token(client)
    age_action(other["actionId"], 5)
    response = complete_token(client, other, None, path="/api/v1/scoreboard/update", userId=str(bob.pk))
    assert token_error(response)[:2] == (403, "FORBIDDEN")


def test_it_audits_refused_completions(alice, bob, client_for):
    issued = request_token(client_for(alice))
    response = client_for(bob).post(
        "/api/v1/actions/complete",
        {
            "actionToken": issued["actionToken"],
            "actionId": issued["actionId"],
            "proof": proof_for(issued, 1500),
        },
        format="json",
        REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 403
    entry = AuditEntry.objects.get(event="completion_refused")
    assert (entry.code, entry.actor, entry.subject, entry.client_ip) == (
        "TOKEN_USER_MISMATCH",
        bob,
        alice,
        "198.51.100.7",
    )


def test_it_refuses_a_token_whose_row_is_gone(alice, client_for):
    client = client_for(alice)
    issued = request_token(client)
    ActionToken.objects.filter(pk=issued["actionId"]).delete()
    response = complete_token(client, issued)
    assert token_error(response) == (400, "INVALID_ACTION_TOKEN", "mismatch")


def test_it_refuses_a_game_server_completing_for_a_banned_player(alice, game_server, client_for):
    issued = request_token(client_for(alice), "DEFEAT_BOSS")
    age_action(issued["actionId"], 5)
    User.objects.filter(pk=alice.pk).update(status=User.Status.BANNED)
    response = complete_token(client_for(game_server), issued, 3000)
    assert token_error(response)[:2] == (403, "ACCOUNT_BANNED")
    assert ActionToken.objects.get(pk=issued["actionId"]).used_at is None


def test_it_stores_the_proof_signature_for_audit(alice, client_for):
    client = client_for(alice)
    issued = request_token(client)
    age_action(issued["actionId"], 5)
    proof = {**proof_for(issued, 3000), "signature": "game-client-sig:AbC"}
    assert complete_token(client, issued, None, proof=proof).status_code == 200
    entry = ScoreHistory.objects.get(user=alice)
    assert entry.signature == "game-client-sig:AbC" and entry.proof["completionTime"] == 3000


def test_it_answers_503_when_the_database_fails_mid_completion(alice, client_for):
    from unittest import mock

    from django.db import OperationalError

    client = client_for(alice)
    issued = request_token(client)
    age_action(issued["actionId"], 5)
    with mock.patch(
        "actions.services.token_claim", side_effect=OperationalError("server closed the connection")
    ):
        response = complete_token(client, issued)
    assert response.status_code == 503
    assert error_of(response)["code"] == "SERVICE_UNAVAILABLE"
    alice.refresh_from_db()
    assert alice.score == 0


def test_it_advertises_the_expiry_the_token_really_has(alice, client_for, settings):
    settings.ACTION_TOKEN_TTL = 3
    issued = request_token(client_for(alice))
    signed = ActionToken.objects.get(pk=issued["actionId"]).expires_at
    assert issued["expiresAt"].endswith(".000Z")
    assert issued["expiresAt"] == signed.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_it_measures_metadata_in_utf8_bytes(alice, client_for):
    client = client_for(alice)
    fits = {"k": "é" * ((4096 - 8) // 2)}  # {"k":"…"} is 8 bytes around 2-byte characters
    assert len(json.dumps(fits, separators=(",", ":"), ensure_ascii=False).encode()) == 4096
    too_big = {"k": "é" * ((4096 - 8) // 2) + "x"}

    assert (
        client.post(
            "/api/v1/actions/request", {"actionType": "COMPLETE_LEVEL", "metadata": fits}, format="json"
        ).status_code
        == 201
    )
    refused = client.post(
        "/api/v1/actions/request", {"actionType": "COMPLETE_LEVEL", "metadata": too_big}, format="json"
    )
    assert refused.status_code == 400 and "metadata" in refused.json()["error"]["details"]


def test_metadata_nested_as_deep_as_the_parser_allows_is_accepted(alice, client_for):
    """The check for characters jsonb cannot store once recursed two frames per level: 300
    levels (a 600-byte body) were a RecursionError, a 500."""
    deep = "[" * 700 + "]" * 700
    raw = '{"actionType": "COMPLETE_LEVEL", "metadata": {"a": ' + deep + "}}"
    response = client_for(alice).post("/api/v1/actions/request", raw, content_type="application/json")
    assert response.status_code == 201, response.content
