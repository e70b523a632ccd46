from __future__ import annotations

import uuid

import pytest

from accounts.models import User


@pytest.fixture
def board(player):
    player("alice", 300, at=1)
    player("bob", 200, at=2)
    player("carol", 200, at=3)
    player("dave", 0, at=4)


def test_it_serves_the_leaderboard_publicly(api_client, board):
    response = api_client.get("/api/v1/leaderboard?limit=2")
    assert response.status_code == 200
    data = response.json()["data"]
    assert [entry["username"] for entry in data["leaderboard"]] == ["alice", "bob"]
    assert set(data["leaderboard"][0]) == {"rank", "userId", "username", "displayName", "score", "updatedAt"}
    assert data["period"] == "all"
    assert data["totalPlayers"] == 4
    assert data["lastUpdated"].endswith("Z")


def test_it_serves_the_alias_with_the_same_data(api_client, board):
    first = api_client.get("/api/v1/leaderboard?period=weekly").json()
    second = api_client.get("/api/v1/scoreboard/top?period=weekly").json()
    assert first == second
    assert first["data"]["period"] == "weekly"


@pytest.mark.parametrize(
    "query, field",
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=abc", "limit"),
        ("limit=2.5", "limit"),
        ("period=yearly", "period"),
        ("limit=-1", "limit"),
    ],
)
def test_it_refuses_bad_query_parameters(api_client, board, query, field):
    response = api_client.get(f"/api/v1/leaderboard?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert field in body["error"]["details"]


def test_it_limits_leaderboard_reads_per_client(api_client, board, settings):
    settings.RATE_LIMIT_LEADERBOARD_PER_MINUTE = 2
    assert api_client.get("/api/v1/leaderboard").status_code == 200
    assert api_client.get("/api/v1/scoreboard/top").status_code == 200
    response = api_client.get("/api/v1/leaderboard")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert int(response["Retry-After"]) >= 1


def test_it_requires_a_token_when_the_leaderboard_is_private(api_client, client_for, board, settings):
    settings.LEADERBOARD_PUBLIC = False
    assert api_client.get("/api/v1/leaderboard").status_code == 401
    assert api_client.get(f"/api/v1/users/{User.objects.get(username='bob').pk}/score").status_code == 401
    assert client_for(User.objects.get(username="bob")).get("/api/v1/leaderboard").status_code == 200


def test_it_answers_my_score(client_for, board):
    bob = User.objects.get(username="bob")
    response = client_for(bob).get("/api/v1/users/me/score")
    assert response.status_code == 200
    data = response.json()["data"]
    assert data == {
        "userId": str(bob.pk),
        "username": "bob",
        "displayName": "bob",
        "score": 200,
        "rank": 2,
        "percentile": 50.0,
        "totalActions": 0,
    }


def test_it_requires_a_token_for_my_score(api_client, board):
    response = api_client.get("/api/v1/users/me/score")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "NOT_AUTHENTICATED"


def test_it_limits_my_score_per_user(client_for, board, settings):
    settings.RATE_LIMIT_SCORE_PER_MINUTE = 1
    client = client_for(User.objects.get(username="bob"))
    assert client.get("/api/v1/users/me/score").status_code == 200
    assert client.get("/api/v1/users/me/score").status_code == 429


def test_it_answers_a_players_score_publicly(api_client, board):
    carol = User.objects.get(username="carol")
    data = api_client.get(f"/api/v1/users/{carol.pk}/score?period=all").json()["data"]
    assert data == {
        "userId": str(carol.pk),
        "username": "carol",
        "displayName": "carol",
        "score": 200,
        "rank": 2,
        "percentile": 50.0,
    }


def test_it_answers_404_for_banned_and_unknown_players_and_400_for_bad_ids(api_client, board, player):
    banned = player("mallory", 999, status=User.Status.BANNED)
    for user_id in (banned.pk, uuid.uuid4()):
        response = api_client.get(f"/api/v1/users/{user_id}/score")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "NOT_FOUND"
    response = api_client.get("/api/v1/users/not-a-uuid/score")
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"userId": ["Must be a UUID."]}


def test_it_lists_around_me(client_for, board):
    carol = User.objects.get(username="carol")
    response = client_for(carol).get("/api/v1/leaderboard/around-me?radius=1")
    assert response.status_code == 200
    data = response.json()["data"]
    assert [entry["username"] for entry in data["leaderboard"]] == ["bob", "carol", "dave"]
    assert data["me"]["username"] == "carol"
    assert client_for(carol).get("/api/v1/leaderboard/around-me?radius=51").status_code == 400


def test_it_refuses_around_me_without_a_token(api_client, board):
    assert api_client.get("/api/v1/leaderboard/around-me").status_code == 401


def test_it_refuses_a_banned_caller(client_for, board, player):
    banned = player("mallory", 5)
    client = client_for(banned)
    User.objects.filter(pk=banned.pk).update(status=User.Status.BANNED)
    response = client.get("/api/v1/users/me/score")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "ACCOUNT_BANNED"


@pytest.mark.parametrize("limit", ["５", "٥", "1e1", " ", "0x10"])
def test_it_refuses_a_limit_not_written_in_ascii_digits(api_client, board, limit):
    response = api_client.get("/api/v1/leaderboard", {"limit": limit})
    assert response.status_code == 400
    assert "limit" in response.json()["error"]["details"]


def test_it_keeps_answering_reads_when_redis_stops(api_client, client_for, board, settings, throwaway_redis):
    settings.REDIS_URL = throwaway_redis.url
    settings.CACHES = {
        "default": {
            "BACKEND": "scoreboard_project.cache.RedisCache",
            "LOCATION": throwaway_redis.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    throwaway_redis.stop()
    carol = User.objects.get(username="carol")

    top = api_client.get("/api/v1/leaderboard")
    mine = client_for(carol).get("/api/v1/users/me/score")

    assert top.status_code == 200 and top.json()["data"]["leaderboard"][0]["username"] == "alice"
    assert mine.status_code == 200 and mine.json()["data"]["rank"] == 2
