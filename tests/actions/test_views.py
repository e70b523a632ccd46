"""The actions API against literal URLs: request, complete, and the aliases."""

from __future__ import annotations

import pytest

from accounts.models import User
from actions.models import ActionToken
from anticheat.models import AuditEntry
from leaderboard.models import ScoreHistory
from tests.conftest import age_action, complete_token, make_player, proof_for, request_token

pytestmark = pytest.mark.django_db


def error_of(response) -> dict:
    body = response.json()
    assert body["success"] is False
    return body["error"]


def test_it_lists_the_action_types(api_client):
    response = api_client.get("/api/v1/actions/types")
    assert response.status_code == 200
    types = {t["actionType"]: t for t in response.json()["data"]["actionTypes"]}
    assert types["COMPLETE_LEVEL"] == {
        "actionType": "COMPLETE_LEVEL", "points": 100, "minDurationMs": 1000, "maxDurationMs": 300000,
        "repeatable": True, "authoritative": False,
    }
    assert types["DEFEAT_BOSS"]["authoritative"] is True
    assert types["COMPLETE_QUEST"]["repeatable"] is False


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


@pytest.mark.parametrize("body, field", [
    ({"actionType": "COMPLETE_LEVEL", "reference": "x" * 101}, "reference"),
    ({"actionType": "COMPLETE_LEVEL", "metadata": ["not", "an", "object"]}, "metadata"),
    ({"actionType": "COMPLETE_LEVEL", "metadata": {"blob": "x" * 4100}}, "metadata"),
    ({"actionType": 12}, None),
    ({}, "actionType"),
])
def test_it_names_the_fields_of_a_bad_request(alice, client_for, body, field):
    response = client_for(alice).post("/api/v1/actions/request", body, format="json")
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
        "actionId": issued["actionId"], "scoreIncrement": 100, "previousScore": 0, "newScore": 100,
        "rank": 1, "previousRank": 2, "rankChange": 1, "message": data["message"],
    }
    alice.refresh_from_db()
    assert alice.score == 100 and alice.total_actions == 1
    entry = ScoreHistory.objects.get(user=alice)
    assert entry.increment == 100 and entry.completion_time_ms == 4000
    assert entry.server_elapsed_ms >= 5000
    token = ActionToken.objects.get(pk=issued["actionId"])
    assert token.used_at is not None and token.outcome == "completed"


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


def _token_error(response) -> tuple[int, str, str | None]:
    error = error_of(response)
    return response.status_code, error["code"], (error.get("details") or {}).get("reason")


def test_it_refuses_a_tampered_token(alice, client_for):
    client = client_for(alice)
    issued = request_token(client)
    version, kid, body, signature = issued["actionToken"].split(".")
    forged = {**issued, "actionToken": f"{version}.{kid}.{body[:-2]}AA.{signature}"}
    assert _token_error(complete_token(client, forged)) == (400, "INVALID_ACTION_TOKEN", "signature")
    garbage = {**issued, "actionToken": "not-a-token"}
    assert _token_error(complete_token(client, garbage)) == (400, "INVALID_ACTION_TOKEN", "malformed")
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
    assert _token_error(response) == (400, "INVALID_ACTION_TOKEN", "expired")


def test_it_refuses_a_token_for_another_action(alice, client_for, many_completions):
    client = client_for(alice)
    first, second = request_token(client), request_token(client)
    response = complete_token(client, {**first, "actionId": second["actionId"]})
    assert _token_error(response) == (400, "INVALID_ACTION_TOKEN", "mismatch")


def test_it_refuses_another_players_token(alice, bob, client_for):
    issued = request_token(client_for(alice))
    age_action(issued["actionId"], 5)
    response = complete_token(client_for(bob), issued)
    assert _token_error(response)[:2] == (403, "TOKEN_USER_MISMATCH")
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
    assert _token_error(response)[:2] == (403, "AUTHORITATIVE_ACTION")
    assert ActionToken.objects.get(pk=issued["actionId"]).used_at is None  # not burned


@pytest.mark.parametrize("completion_time, aged, proof, reason", [
    (1500, 5, {"completionTime": 1500, "checksum": "0" * 64}, "checksum"),
    (None, 5, None, "missing"),
    (1500, 5, {"completionTime": 1500}, "missing"),
    (999, 5, "auto", "too_fast"),
    (300001, 400, "auto", "too_slow"),
    (9000, 5, "auto", "clock"),
])
def test_it_refuses_a_bad_proof_and_burns_the_token(alice, client_for, completion_time, aged, proof, reason,
                                                      many_completions):
    client = client_for(alice)
    issued = request_token(client)
    age_action(issued["actionId"], aged)
    extra = {}
    if proof == "auto":
        extra["proof"] = proof_for(issued, completion_time)
    elif proof is not None:
        extra["proof"] = proof
    response = complete_token(client, issued, None, **extra)
    assert _token_error(response) == (422, "INVALID_PROOF", reason)
    assert ActionToken.objects.get(pk=issued["actionId"]).outcome == "proof_failed"
    retry = complete_token(client, issued, min(max(completion_time or 1500, 1000), 4000))
    assert _token_error(retry)[:2] == (409, "TOKEN_ALREADY_USED")
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
    response = complete_token(client, issued, 2000, score=10**6, scoreIncrement=10**6, points=10**6,
                              newScore=10**6)
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
    assert _token_error(response)[:2] == (409, "ACTION_ALREADY_COMPLETED")
    assert ActionToken.objects.get(pk=second["actionId"]).used_at is None  # refused, not burned
    again = client.post("/api/v1/actions/request", {"actionType": "COMPLETE_QUEST", "reference": "dragon"},
                        format="json")
    assert _token_error(again)[:2] == (409, "ACTION_ALREADY_COMPLETED")
    assert request_token(client, "COMPLETE_QUEST", reference="castle")
    alice.refresh_from_db()
    assert alice.score == 250


def test_it_lets_the_database_settle_a_race_on_one_reference(alice, many_completions):
    """Two tokens for one quest reference slip past the check: the unique constraint decides."""
    from unittest import mock

    from actions import services

    client_issued = [services.request_action(user=alice, action_type="COMPLETE_QUEST", reference="r")
                     for _ in range(2)]
    for issued in client_issued:
        age_action(str(issued.action_id), 5)
    results = []
    with mock.patch("actions.services._already_scored", return_value=False):
        for issued in client_issued:
            try:
                services.complete_action(user=alice, token=issued.action_token, action_id=issued.action_id,
                                         proof=services.Proof(1500, _checksum(issued, 1500)))
                results.append("ok")
            except services.ApplicationError as exc:
                results.append(exc.code)
    assert results == ["ok", "ACTION_ALREADY_COMPLETED"]
    assert ScoreHistory.objects.filter(user=alice).count() == 1


def _checksum(issued, completion_time: int) -> str:
    from anticheat.proofs import proof_checksum

    return proof_checksum(proof_key=issued.proof_key, action_id=issued.action_id, completion_time_ms=completion_time)


def test_it_initializes_through_the_alias(alice, bob, client_for, many_completions):
    client = client_for(alice)
    response = client.post("/api/v1/actions/initialize",
                           {"actionType": "COMPLETE_LEVEL", "actionId": "lvl-7", "userId": str(alice.pk)},
                           format="json")
    assert response.status_code == 201
    assert ActionToken.objects.get(pk=response.json()["data"]["actionId"]).reference == "lvl-7"
    foreign = client.post("/api/v1/actions/initialize",
                          {"actionType": "COMPLETE_LEVEL", "userId": str(bob.pk)}, format="json")
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
    assert [(e["username"], e["rank"], e["score"]) for e in board] == [("bob", 1, 300), ("carol", 2, 100), ("alice", 2, 100)]
    assert set(board[0]) == {"rank", "userId", "username", "score", "updatedAt"}


def test_it_still_checks_the_server_time_without_a_proof(alice, bob, client_for, many_completions):
    client = client_for(alice)
    issued = request_token(client)  # not aged: the server measured well under minDurationMs
    response = complete_token(client, issued, None, path="/api/v1/scoreboard/update")
    assert _token_error(response) == (422, "INVALID_PROOF", "too_fast")
    other = request_token(client)
    age_action(other["actionId"], 5)
    response = complete_token(client, other, None, path="/api/v1/scoreboard/update", userId=str(bob.pk))
    assert _token_error(response)[:2] == (403, "FORBIDDEN")


def test_it_audits_refused_completions(alice, bob, client_for):
    issued = request_token(client_for(alice))
    response = client_for(bob).post(
        "/api/v1/actions/complete",
        {"actionToken": issued["actionToken"], "actionId": issued["actionId"], "proof": proof_for(issued, 1500)},
        format="json", REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 403
    entry = AuditEntry.objects.get(event="completion_refused")
    assert (entry.code, entry.actor, entry.subject, entry.client_ip) == ("TOKEN_USER_MISMATCH", bob, alice, "198.51.100.7")


def test_it_refuses_a_token_whose_row_is_gone(alice, client_for):
    client = client_for(alice)
    issued = request_token(client)
    ActionToken.objects.filter(pk=issued["actionId"]).delete()
    response = complete_token(client, issued)
    assert _token_error(response) == (400, "INVALID_ACTION_TOKEN", "mismatch")


def test_it_refuses_a_game_server_completing_for_a_banned_player(alice, game_server, client_for):
    issued = request_token(client_for(alice), "DEFEAT_BOSS")
    age_action(issued["actionId"], 5)
    User.objects.filter(pk=alice.pk).update(status=User.Status.BANNED)
    response = complete_token(client_for(game_server), issued, 3000)
    assert _token_error(response)[:2] == (403, "ACCOUNT_BANNED")
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
    with mock.patch("actions.services.token_claim", side_effect=OperationalError("server closed the connection")):
        response = complete_token(client, issued)
    assert response.status_code == 503
    assert error_of(response)["code"] == "SERVICE_UNAVAILABLE"
    alice.refresh_from_db()
    assert alice.score == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"actionToken": 123, "actionId": "00000000-0000-4000-8000-000000000000"}, "actionToken"),
        ({"actionToken": "t", "actionId": 5}, "actionId"),
        ({"actionToken": "t", "actionId": "not-a-uuid"}, "actionId"),
        ({"actionToken": "t", "actionId": "00000000-0000-4000-8000-000000000000", "proof": "x"}, "proof"),
        ({"actionToken": "t", "actionId": "00000000-0000-4000-8000-000000000000",
          "proof": {"completionTime": "1500", "checksum": "ab"}}, "proof"),
        ({"actionToken": "t", "actionId": "00000000-0000-4000-8000-000000000000",
          "proof": {"completionTime": 1500.5, "checksum": "ab"}}, "proof"),
        ({"actionToken": "t", "actionId": "00000000-0000-4000-8000-000000000000",
          "proof": {"completionTime": True, "checksum": "ab"}}, "proof"),
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


def test_it_refuses_an_upper_case_checksum(alice, client_for):
    client = client_for(alice)
    issued = request_token(client)
    age_action(issued["actionId"], 5)
    proof = proof_for(issued, 2000)
    response = client.post("/api/v1/actions/complete", {
        "actionToken": issued["actionToken"], "actionId": issued["actionId"],
        "proof": {**proof, "checksum": proof["checksum"].upper()},
    }, format="json")
    assert response.status_code == 422
    assert response.json()["error"]["details"]["reason"] == "checksum"
