"""Each limit's fail mode, as written in scoreboard_project/limits.py, is what a client sees with
Redis down (a throwaway redis-server of this test, stopped; never the machine's shared one).

Every policy and cap of the table must have a case here: adding a limit without deciding
and testing its fail mode fails this test.
"""

from __future__ import annotations

import asyncio

import pytest
from django.test import Client, override_settings

from leaderboard.ws_limits import acquire_anonymous_lease
from scoreboard_project.limits import CAPS, CLOSED, OPEN, POLICIES
from tests.helpers.actions import age_action, complete_token, request_token
from tests.helpers.players import PASSWORD

pytestmark = pytest.mark.django_db


def _read(client_for, alice, api_client):
    return api_client.get("/api/v1/leaderboard")


def _my_score(client_for, alice, api_client):
    return client_for(alice).get("/api/v1/users/me/score")


def _action_request(client_for, alice, api_client):
    return client_for(alice).post("/api/v1/actions/request", {"actionType": "COMPLETE_LEVEL"}, format="json")


def _login(client_for, alice, api_client):
    return api_client.post("/api/v1/auth/login", {"username": "alice", "password": PASSWORD}, format="json")


def _admin_login(client_for, alice, api_client):
    return Client().post("/admin/login/", {"username": "alice", "password": PASSWORD})


def _register(client_for, alice, api_client):
    return api_client.post(
        "/api/v1/auth/register",
        {"username": "newcomer", "email": "n@example.com", "password": "another-horse-battery-7"},
        format="json",
    )


# scope -> the requests that exercise it while Redis is down
CASES = {
    "ip.hour": [_read, _register],
    "leaderboard.read": [_read],
    "score.me": [_my_score],
    "actions.request.minute": [_action_request],
    "auth.login": [_login, _admin_login],
    # the four completion windows: test_completion_fails_closed below
}
COMPLETION = {
    "actions.complete.second",
    "actions.complete.minute",
    "actions.complete.hour",
    "actions.complete.day",
}


def test_it_has_a_fail_mode_case_for_every_limit_in_the_table():
    assert set(CASES) | COMPLETION == set(POLICIES)
    assert {policy.fail for policy in POLICIES.values()} <= {OPEN, CLOSED}
    assert set(CAPS) == {"ws.user.open", "ws.user.new", "stream.anonymous.ip"}


@pytest.fixture
def redis_down(throwaway_redis, many_completions):
    caches = {"default": {"BACKEND": "scoreboard_project.cache.RedisCache", "LOCATION": throwaway_redis.url}}
    with override_settings(REDIS_URL=throwaway_redis.url, CACHES=caches):
        yield throwaway_redis


@pytest.mark.parametrize("scope", sorted(CASES))
def test_it_fails_each_limit_the_way_the_table_says(scope, alice, client_for, api_client, redis_down):
    redis_down.stop()
    for make_request in CASES[scope]:
        response = make_request(client_for, alice, api_client)
        if POLICIES[scope].fail == CLOSED:
            assert response.status_code == 503, (scope, make_request.__name__, response.content)
            assert response["Retry-After"] == "1"  # retryable, and says when
        else:
            assert response.status_code in (200, 201), (scope, make_request.__name__, response.content)


def test_completion_fails_closed(alice, client_for, redis_down):
    assert {POLICIES[scope].fail for scope in COMPLETION} == {CLOSED}
    client = client_for(alice)
    issued = request_token(client)
    age_action(issued["actionId"], 5)
    redis_down.stop()

    response = complete_token(client, issued)

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"


def test_the_socket_caps_fail_as_the_table_says(redis_down):
    from leaderboard import ws_limits

    redis_down.stop()
    allowed, _ = asyncio.run(acquire_anonymous_lease("192.0.2.9", "c1", 1000))
    assert allowed is (CAPS["stream.anonymous.ip"].fail == OPEN)
    assert CAPS["ws.user.open"].fail == CAPS["ws.user.new"].fail == CLOSED
    with pytest.raises(
        Exception
    ) as raised:  # the consumer closes the socket 1013 on this (leaderboard.consumers.sign_in)
        ws_limits._acquire_user("some-user", "c2")
    from leaderboard.ranking import REDIS_ERRORS

    assert isinstance(raised.value, REDIS_ERRORS)
