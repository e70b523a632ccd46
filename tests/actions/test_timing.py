"""The timing rule (docs/api.md, "The proof") on every completion path: the server's clock
decides, a proof never weakens it, and a refused completion changes nothing."""

from __future__ import annotations

import pytest

from actions.models import ActionToken
from leaderboard.models import ScoreHistory
from tests.helpers.actions import age_action, complete_token, request_token, token_error

pytestmark = pytest.mark.django_db

UPDATE = "/api/v1/scoreboard/update"


def assert_nothing_scored(issued: dict, *players) -> None:
    token = ActionToken.objects.get(pk=issued["actionId"])
    assert token.used_at is not None and token.outcome == ActionToken.Outcome.PROOF_FAILED  # burned
    assert not ScoreHistory.objects.exists()
    for player in players:
        player.refresh_from_db()
        assert player.score == 0 and player.total_actions == 0


@pytest.mark.parametrize("path", ["/api/v1/actions/complete", UPDATE])
def test_it_refuses_an_immediate_completion_with_a_valid_proof(alice, client_for, path):
    client = client_for(alice)
    issued = request_token(client)
    response = complete_token(client, issued, 1000, path=path)  # the minimum, checksum made with the proofKey
    assert token_error(response) == (422, "INVALID_PROOF", "too_fast")
    assert response.json()["error"]["details"]["measuredBy"] == "server"
    assert_nothing_scored(issued, alice)
    again = complete_token(client, issued, 1000, path=path)  # no retry with a better guess
    assert again.status_code == 409


def test_it_refuses_an_immediate_completion_without_a_proof_on_the_alias(alice, client_for):
    client = client_for(alice)
    issued = request_token(client)
    assert token_error(complete_token(client, issued, None, path=UPDATE)) == (
        422,
        "INVALID_PROOF",
        "too_fast",
    )
    assert_nothing_scored(issued, alice)


@pytest.mark.parametrize("path", ["/api/v1/actions/complete", UPDATE])
def test_it_refuses_a_game_servers_immediate_completion(alice, game_server, client_for, path):
    issued = request_token(client_for(alice), "DEFEAT_BOSS")
    response = complete_token(client_for(game_server), issued, 1000, path=path)
    assert token_error(response) == (422, "INVALID_PROOF", "too_fast")
    assert_nothing_scored(issued, alice, game_server)


def test_it_refuses_a_game_servers_immediate_completion_without_a_proof(alice, game_server, client_for):
    issued = request_token(client_for(alice), "DEFEAT_BOSS")
    response = complete_token(client_for(game_server), issued, None, path=UPDATE)
    assert token_error(response) == (422, "INVALID_PROOF", "too_fast")
    assert_nothing_scored(issued, alice, game_server)


@pytest.mark.parametrize("path", ["/api/v1/actions/complete", UPDATE])
def test_it_allows_a_claim_up_to_250_ms_above_the_servers_measure(alice, client_for, path):
    client = client_for(alice)
    issued = request_token(client)
    age_action(issued["actionId"], 2)
    assert complete_token(client, issued, 2240, path=path).status_code == 200
    entry = ScoreHistory.objects.get()
    assert 2000 <= entry.server_elapsed_ms < 2240 + 250 and entry.completion_time_ms == 2240


@pytest.mark.parametrize("path", ["/api/v1/actions/complete", UPDATE])
def test_it_refuses_a_claim_more_than_250_ms_above_the_servers_measure(alice, client_for, path):
    client = client_for(alice)
    issued = request_token(client)
    age_action(issued["actionId"], 2)
    response = complete_token(client, issued, 2600, path=path)
    assert token_error(response) == (422, "INVALID_PROOF", "clock")
    details = response.json()["error"]["details"]
    assert details["completionTime"] == 2600 and 2000 <= details["serverElapsedMs"] < 2350
    assert_nothing_scored(issued, alice)


def test_it_refuses_a_claim_below_the_minimum_even_when_the_server_time_is_fine(alice, client_for):
    client = client_for(alice)
    issued = request_token(client)
    age_action(issued["actionId"], 3)
    response = complete_token(client, issued, 900)
    assert token_error(response) == (422, "INVALID_PROOF", "too_fast")
    assert response.json()["error"]["details"]["measuredBy"] == "client"
    assert_nothing_scored(issued, alice)


@pytest.mark.parametrize("completion_time", [2000, None])
def test_it_refuses_a_completion_the_server_measured_above_the_maximum(alice, client_for, completion_time):
    client = client_for(alice)
    issued = request_token(client)  # COMPLETE_LEVEL: at most 300 s
    age_action(issued["actionId"], 301)
    response = complete_token(client, issued, completion_time, path=UPDATE)
    assert token_error(response) == (422, "INVALID_PROOF", "too_slow")
    assert_nothing_scored(issued, alice)


def test_it_checks_the_checksum_before_the_time(alice, client_for):
    client = client_for(alice)
    issued = request_token(client)
    response = complete_token(client, issued, None, proof={"completionTime": 1000, "checksum": "00" * 32})
    assert token_error(response) == (422, "INVALID_PROOF", "checksum")
    assert_nothing_scored(issued, alice)


def test_it_times_a_completion_from_its_arrival_not_from_when_a_worker_got_to_it(alice):
    """Queued behind other requests, an early completion is still too early."""
    from datetime import timedelta

    from actions import services
    from anticheat.exceptions import InvalidProof
    from anticheat.proofs import proof_checksum

    issued = services.action_request(user=alice, action_type="COMPLETE_LEVEL")
    age_action(str(issued.action_id), 3)  # a worker gets to it 3 s after the token was issued...
    created = ActionToken.objects.get(pk=issued.action_id).created_at
    proof = services.Proof(
        900, proof_checksum(proof_key=issued.proof_key, action_id=issued.action_id, completion_time_ms=900)
    )
    with pytest.raises(InvalidProof) as refused:  # ...but it arrived 0.9 s after
        services.action_complete(
            user=alice,
            token=issued.action_token,
            action_id=issued.action_id,
            proof=proof,
            received_at=created + timedelta(milliseconds=900),
        )
    assert refused.value.reason == "too_fast" and refused.value.details["elapsedMs"] == 900


def test_it_reads_the_arrival_stamped_on_the_asgi_scope():
    import asyncio
    import time
    from datetime import UTC, datetime, timedelta
    from types import SimpleNamespace

    from actions import clock

    seen = {}

    async def app(scope, receive, send):
        seen.update(scope)

    before = time.time()
    asyncio.run(clock.stamp_arrival(app)({"type": "http"}, None, None))
    assert before <= seen[clock.ARRIVAL_KEY] <= time.time()
    request = SimpleNamespace(scope={clock.ARRIVAL_KEY: seen[clock.ARRIVAL_KEY]})
    assert clock.received_at(request) == datetime.fromtimestamp(seen[clock.ARRIVAL_KEY], UTC)
    future = SimpleNamespace(scope={clock.ARRIVAL_KEY: time.time() + 60})
    assert clock.received_at(future) <= datetime.now(UTC) + timedelta(seconds=1)  # never later than now
    assert abs(clock.received_at(SimpleNamespace()) - datetime.now(UTC)) < timedelta(seconds=1)
