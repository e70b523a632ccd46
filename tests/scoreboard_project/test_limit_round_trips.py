"""Every limit of a request is counted in one call (one Redis round trip): a regression fails CI.

The one-pool promise is tested on a real daphne in tests/e2e/test_redis_connections.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from scoreboard_project import limit_counter
from tests.helpers.actions import age_action, complete_token, request_token
from tests.helpers.players import PASSWORD

pytestmark = pytest.mark.django_db


class RoundTrips:
    """Wraps every Redis connection of this process: one ``send_packed_command`` = one round trip."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    @property
    def limit_trips(self) -> int:
        return sum(1 for packet in self.sent if b":rlog:" in packet)


@pytest.fixture
def round_trips(monkeypatch) -> Iterator[RoundTrips]:
    record = RoundTrips()
    send = redis.connection.AbstractConnection.send_packed_command

    def counting_send(self, command, check_health=True):
        packets = command if isinstance(command, list | tuple) else [command]
        record.sent.append(b"".join(p if isinstance(p, bytes) else bytes(p) for p in packets))
        return send(self, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting_send)
    yield record


@pytest.fixture
def limit_calls(monkeypatch) -> list[int]:
    """How many windows each call of the counter carried (both stores)."""
    calls: list[int] = []
    real = limit_counter.take

    def counting(windows, now=None, **options):
        calls.append(len(windows))
        return real(windows, now, **options)

    monkeypatch.setattr(limit_counter, "take", counting)
    return calls


def _flows(alice, client_for, api_client):
    """One request of each limited kind; yields (name, response) after each."""
    client = client_for(alice)
    issued = request_token(client)
    age_action(issued["actionId"], 5)
    yield "setup", None
    yield "complete", complete_token(client, issued)
    yield "request", client.post("/api/v1/actions/request", {"actionType": "COMPLETE_LEVEL"}, format="json")
    yield "leaderboard", api_client.get("/api/v1/leaderboard")
    yield "my score", client.get("/api/v1/users/me/score")
    yield (
        "login",
        api_client.post("/api/v1/auth/login", {"username": "alice", "password": PASSWORD}, format="json"),
    )
    yield "bad token", api_client.get("/api/v1/users/me/score", HTTP_AUTHORIZATION="Bearer nope")


def test_it_counts_every_limit_of_a_request_in_one_call(alice, client_for, api_client, limit_calls):
    expected_windows = {
        "complete": 5,
        "request": 2,
        "leaderboard": 2,
        "my score": 2,
        "login": 2,
        "bad token": 1,
    }
    for name, response in _flows(alice, client_for, api_client):
        if response is None:
            limit_calls.clear()
            continue
        assert response.status_code < 500, (name, response.content)
        assert len(limit_calls) == 1, (name, limit_calls)  # IP + the endpoint's windows together
        assert limit_calls.pop() == expected_windows[name], name


@pytest.mark.production_shape
def test_it_spends_one_redis_round_trip_on_limits_per_request(alice, client_for, api_client, round_trips):
    request_token(client_for(alice))  # loads the script once
    for name, response in _flows(alice, client_for, api_client):
        if response is not None:
            assert response.status_code < 500, (name, response.content)
            assert round_trips.limit_trips == 1, (name, [p[:80] for p in round_trips.sent if b":rlog:" in p])
        round_trips.sent.clear()
