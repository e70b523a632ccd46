"""The contract's limits on the scoring path, the per-IP limit, and failing closed."""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.test import override_settings

from accounts.models import User
from actions.models import ActionToken
from anticheat.models import AuditEntry
from scoreboard_project.errors import RateLimitExceeded
from scoreboard_project.limits import check_leaderboard_read, check_my_score_read
from tests.helpers.actions import age_action, complete_token, request_token
from tests.helpers.racing import race

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen_windows():
    """Fixed-window counters at a fixed instant: no window rolls over mid-test."""
    with mock.patch("scoreboard_project.limit_counter.time") as fake:
        fake.time.return_value = 1_900_000_000.0
        yield fake


def limited(response, scope: str | None = None) -> int:
    assert response.status_code == 429, response.content
    error = response.json()["error"]
    assert error["code"] == "RATE_LIMIT_EXCEEDED"
    retry_after = int(response["Retry-After"])
    assert retry_after >= 1 and error["details"]["retryAfter"] == retry_after
    if scope:
        assert error["details"]["scope"] == scope
    return retry_after


def aged_token(client) -> dict:
    issued = request_token(client)
    age_action(issued["actionId"], 5)
    return issued


def test_it_allows_one_completion_per_second(alice, client_for, many_completions):
    many_completions.RATE_LIMIT_ACTIONS_PER_SECOND = 1
    client = client_for(alice)
    first, second, third = aged_token(client), aged_token(client), aged_token(client)
    assert complete_token(client, first).status_code == 200
    done = time.monotonic()
    assert limited(complete_token(client, second), "actions.complete.second") == 1
    assert ActionToken.objects.get(pk=second["actionId"]).used_at is None  # the claim rolled back
    time.sleep(max(0.0, 1.05 - (time.monotonic() - done)))  # a second after the first, as told
    assert complete_token(client, third).status_code == 200


def test_a_window_slides_so_twice_the_limit_never_fits_around_an_edge(api_client, frozen_windows):
    """Five failed logins just before a quarter hour and five just after: fixed windows
    let all ten through; a sliding one refuses the sixth until the first is 15 minutes old."""
    quarter = 1_900_000_800.0  # a multiple of 900 s
    frozen_windows.time.return_value = quarter - 1.8
    body = {"username": "alice", "password": "not-her-password"}
    for _ in range(5):
        assert api_client.post("/api/v1/auth/login", body, format="json").status_code == 401
    frozen_windows.time.return_value = quarter + 0.5
    wait = limited(api_client.post("/api/v1/auth/login", body, format="json"), "auth.login")
    assert wait == 898  # until the first attempt is 15 minutes old (897.7 s, rounded up)
    frozen_windows.time.return_value = quarter - 1.8 + 900.01  # the first five are 15 minutes old
    for _ in range(5):
        assert api_client.post("/api/v1/auth/login", body, format="json").status_code == 401
    assert limited(api_client.post("/api/v1/auth/login", body, format="json"), "auth.login") == 900


@pytest.mark.parametrize(
    "setting, scope, period",
    [
        ("RATE_LIMIT_ACTIONS_PER_MINUTE", "actions.complete.minute", 60),
        ("RATE_LIMIT_ACTIONS_PER_HOUR", "actions.complete.hour", 3600),
        ("RATE_LIMIT_ACTIONS_PER_DAY", "actions.complete.day", 86400),
    ],
)
def test_it_limits_completions_per_window(
    alice, client_for, many_completions, frozen_windows, setting, scope, period
):
    setattr(many_completions, setting, 3)
    client = client_for(alice)
    tokens = [aged_token(client) for _ in range(4)]
    # every attempt counts, a refused one too
    assert complete_token(client, tokens[0], 1).status_code == 422
    assert complete_token(client, tokens[1]).status_code == 200
    assert complete_token(client, tokens[2]).status_code == 200
    assert limited(complete_token(client, tokens[3]), scope) <= period
    alice.refresh_from_db()
    assert alice.score == 200


def test_it_counts_a_game_servers_completions_against_the_player(
    alice, bob, game_server, client_for, many_completions, frozen_windows
):
    many_completions.RATE_LIMIT_ACTIONS_PER_MINUTE = 2
    alice_client, server = client_for(alice), client_for(game_server)
    tokens = [aged_token(alice_client) for _ in range(3)]
    assert complete_token(alice_client, tokens[0]).status_code == 200
    assert complete_token(server, tokens[1]).status_code == 200
    limited(complete_token(server, tokens[2]), "actions.complete.minute")
    assert complete_token(client_for(bob), aged_token(client_for(bob))).status_code == 200


def test_it_limits_action_requests_per_user(alice, bob, client_for, many_completions, frozen_windows):
    many_completions.RATE_LIMIT_REQUESTS_PER_MINUTE = 2
    client = client_for(alice)
    request_token(client)
    request_token(client)
    response = client.post("/api/v1/actions/request", {"actionType": "COMPLETE_LEVEL"}, format="json")
    assert limited(response, "actions.request.minute") <= 60
    request_token(client_for(bob))


def test_it_limits_requests_per_client_ip_whatever_the_forwarded_header(api_client, settings, frozen_windows):
    settings.RATE_LIMIT_IP_PER_HOUR = 3
    for i in range(3):
        response = api_client.get(
            "/api/v1/actions/types", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}"
        )
        assert response.status_code == 200
    response = api_client.get(
        "/api/v1/actions/types", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.77"
    )
    assert limited(response, "ip.hour") <= 3600
    assert api_client.get("/api/v1/actions/types", REMOTE_ADDR="203.0.113.10").status_code == 200


def test_it_believes_a_trusted_proxys_forwarded_header(api_client, settings, frozen_windows):
    settings.RATE_LIMIT_IP_PER_HOUR = 2
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    for i in range(5):  # five clients behind one proxy: each has its own allowance
        response = api_client.get(
            "/api/v1/actions/types", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}"
        )
        assert response.status_code == 200
    for _ in range(2):
        api_client.get("/api/v1/actions/types", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.200")
    response = api_client.get(
        "/api/v1/actions/types", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.200"
    )
    limited(response, "ip.hour")


def test_it_exempts_game_servers_from_the_ip_limit(alice, game_server, client_for, settings, frozen_windows):
    settings.RATE_LIMIT_IP_PER_HOUR = 2
    server, player = client_for(game_server), client_for(alice)
    for _ in range(4):
        assert server.post("/api/v1/actions/complete", {}, format="json").status_code == 400
    for _ in range(2):
        assert player.post("/api/v1/actions/complete", {}, format="json").status_code == 400
    limited(player.post("/api/v1/actions/complete", {}, format="json"), "ip.hour")


def test_it_exempts_game_servers_on_the_public_endpoints_too(
    game_server, client_for, api_client, settings, frozen_windows
):
    """/actions/types is public: a game server's token still makes it exempt there."""
    settings.RATE_LIMIT_IP_PER_HOUR = 2
    server = client_for(game_server)
    for _ in range(4):
        assert server.get("/api/v1/actions/types").status_code == 200
    for _ in range(2):  # the game server used none of the address's allowance
        assert api_client.get("/api/v1/actions/types").status_code == 200
    limited(api_client.get("/api/v1/actions/types"), "ip.hour")
    assert server.get("/api/v1/actions/types").status_code == 200


def test_it_offers_the_leaderboard_and_my_score_limits(alice, settings, frozen_windows, rf):
    settings.RATE_LIMIT_LEADERBOARD_PER_MINUTE = 2
    settings.RATE_LIMIT_SCORE_PER_MINUTE = 1
    request = rf.get("/api/v1/leaderboard", REMOTE_ADDR="192.0.2.1")
    request.user = None
    check_leaderboard_read(request)
    check_leaderboard_read(request)
    with pytest.raises(RateLimitExceeded) as caught:
        check_leaderboard_read(request)
    assert caught.value.details["scope"] == "leaderboard.read"
    check_my_score_read(alice)
    with pytest.raises(RateLimitExceeded):
        check_my_score_read(alice)


def test_it_fails_closed_when_redis_is_down(alice, client_for, many_completions, throwaway_redis):
    caches = {"default": {"BACKEND": "scoreboard_project.cache.RedisCache", "LOCATION": throwaway_redis.url}}
    client = client_for(alice)
    with override_settings(CACHES=caches, REDIS_URL=throwaway_redis.url):
        issued = aged_token(client)
        throwaway_redis.stop()
        response = complete_token(client, issued)
        assert response.status_code == 503, response.content
        assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        refused = client.post("/api/v1/actions/request", {"actionType": "COMPLETE_LEVEL"}, format="json")
        assert refused.status_code == 503
    alice.refresh_from_db()
    assert alice.score == 0 and not alice.score_history.exists()
    assert ActionToken.objects.get(pk=issued["actionId"]).used_at is None
    assert AuditEntry.objects.filter(event="completion_refused", code="SERVICE_UNAVAILABLE").count() == 1
    assert User.objects.count() == 1


def test_it_counts_requests_refused_before_the_throttles(api_client, alice, settings, frozen_windows):
    """A missing or bad token is refused before DRF throttles; it still counts against the IP."""
    settings.RATE_LIMIT_IP_PER_HOUR = 3
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer not-a-jwt"}, {}):
        response = api_client.post(
            "/api/v1/actions/request", {}, format="json", REMOTE_ADDR="203.0.113.20", **headers
        )
        assert response.status_code == 401
    response = api_client.post("/api/v1/actions/request", {}, format="json", REMOTE_ADDR="203.0.113.20")
    limited(response, "ip.hour")
    assert api_client.get("/api/v1/actions/types", REMOTE_ADDR="203.0.113.20").status_code == 429


def test_it_answers_a_replay_in_the_same_second_with_409(alice, client_for):
    client = client_for(alice)
    issued = aged_token(client)
    assert complete_token(client, issued, 2000).status_code == 200

    replay = complete_token(client, issued, 2000)

    assert replay.status_code == 409
    assert replay.json()["error"]["code"] == "TOKEN_ALREADY_USED"


def test_it_gives_back_a_token_that_a_limit_refused(alice, client_for, frozen_windows):
    client = client_for(alice)
    first, second = aged_token(client), aged_token(client)
    assert complete_token(client, first, 2000).status_code == 200
    limited(complete_token(client, second, 2000), "actions.complete.second")

    frozen_windows.time.return_value += 1.5  # the next second's window
    retried = complete_token(client, second, 2000)

    assert retried.status_code == 200, retried.content
    alice.refresh_from_db()
    assert alice.score == 200


def test_every_refused_attempt_counts_against_the_owner(alice, client_for, many_completions, frozen_windows):
    """Replays of a used token (409) count too: after them a new completion in the same
    minute is over the limit (the contract: every attempt counts, keyed on the token's owner)."""
    many_completions.RATE_LIMIT_ACTIONS_PER_MINUTE = 4
    client = client_for(alice)
    used, fresh = aged_token(client), aged_token(client)
    assert complete_token(client, used).status_code == 200
    for _ in range(3):
        assert complete_token(client, used).status_code == 409  # stays 409 past the limit too
    assert complete_token(client, used).status_code == 409
    assert limited(complete_token(client, fresh), "actions.complete.minute")
    assert ActionToken.objects.get(pk=fresh["actionId"]).used_at is None  # a limit gives it back


def test_a_burst_of_refused_attempts_counts_in_the_windows_with_room(
    alice, client_for, many_completions, frozen_windows
):
    """Replays in the same second as the completion: the second's window is full, but each
    still counts in the minute's, which it fits in."""
    many_completions.RATE_LIMIT_ACTIONS_PER_SECOND = 1
    many_completions.RATE_LIMIT_ACTIONS_PER_MINUTE = 4
    client = client_for(alice)
    used, fresh = aged_token(client), aged_token(client)
    assert complete_token(client, used).status_code == 200
    for _ in range(3):
        assert complete_token(client, used).status_code == 409
    frozen_windows.time.return_value += 1.5  # the second's window has room again
    assert limited(complete_token(client, fresh), "actions.complete.minute")


@pytest.mark.django_db(transaction=True)
def test_a_race_on_one_token_still_gives_one_200_under_a_tight_limit(alice, client_for, many_completions):
    """Eight completions of one token at once with one completion a second allowed: the
    winner is never refused because the losers were counted first."""
    many_completions.RATE_LIMIT_ACTIONS_PER_SECOND = 1
    client = client_for(alice)
    token = aged_token(client)
    outcomes = race(8, lambda _: complete_token(client_for(alice), token).status_code)
    assert sorted(outcomes) == [200] + [409] * 7, outcomes
