"""Named leaderboards through the API: create, read, edit, validation, roles."""

from __future__ import annotations

import json

import pytest

from leaderboard.boards.models import Leaderboard
from tests.helpers.boards import admin_account, new_board, write

pytestmark = pytest.mark.django_db

BOARD = {
    "key": "speedrun",
    "name": "Speedrun",
    "operator": "best",
    "sortOrder": "asc",
    "resetSchedule": "0 0 * * 1",
    "timezone": "Europe/Paris",
}


def test_it_creates_a_board_as_admin_and_as_a_game_server(client_for, game_server):
    created = client_for(admin_account()).post("/api/v1/leaderboards", BOARD, format="json")
    assert created.status_code == 201, created.content
    board = created.json()["data"]
    assert {k: board[k] for k in BOARD} == BOARD
    assert board["actionTypes"] == [] and board["totalPlayers"] == 0 and board["endsAt"] is None
    assert set(board["period"]) == {"id", "startsAt", "endsAt"} and board["period"]["endsAt"].endswith("Z")
    second = client_for(game_server).post("/api/v1/leaderboards", {**BOARD, "key": "other"}, format="json")
    assert second.status_code == 201
    assert second.json()["data"]["sortOrder"] == "asc"


def test_it_refuses_players_and_anonymous_callers(client_for, alice, api_client):
    assert client_for(alice).post("/api/v1/leaderboards", BOARD, format="json").status_code == 403
    refused = api_client.post("/api/v1/leaderboards", BOARD, format="json")
    assert refused.status_code == 401
    assert not Leaderboard.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("resetSchedule", "0 0 * *"),
        ("resetSchedule", "61 0 * * *"),
        ("resetSchedule", "@daily"),
        ("resetSchedule", "H 0 * * *"),
        ("timezone", "Mars/Olympus"),
        ("timezone", 7),
        ("key", "global"),
        ("key", "Upper"),
        ("key", "x" * 65),
        ("key", ""),
        ("operator", "max"),
        ("sortOrder", "up"),
        ("name", ""),
        ("actionTypes", ["NO_SUCH_TYPE"]),
        ("actionTypes", "COMPLETE_LEVEL"),
        ("endsAt", "soon"),
        ("endsAt", "2020-01-01T00:00:00Z"),  # no startsAt: the season would begin now, already over
    ],
)
def test_it_names_the_bad_field(client_for, field, value):
    response = client_for(admin_account()).post(
        "/api/v1/leaderboards", {**BOARD, field: value}, format="json"
    )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and field in error["details"]
    assert not Leaderboard.objects.exists()


def test_it_refuses_action_types_on_a_board_that_is_not_incr(client_for):
    body = {**BOARD, "actionTypes": ["COMPLETE_LEVEL"]}
    response = client_for(admin_account()).post("/api/v1/leaderboards", body, format="json")
    assert response.status_code == 400 and "actionTypes" in response.json()["error"]["details"]


def test_it_refuses_a_taken_key(client_for):
    client = client_for(admin_account())
    assert client.post("/api/v1/leaderboards", BOARD, format="json").status_code == 201
    again = client.post("/api/v1/leaderboards", BOARD, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "BOARD_EXISTS"


def test_it_lists_global_first_then_every_board(api_client, alice):
    new_board("arena")
    new_board("bravo", operator="incr")
    boards = api_client.get("/api/v1/leaderboards").json()["data"]["leaderboards"]
    assert [b["key"] for b in boards] == ["global", "arena", "bravo"]
    glob = boards[0]
    assert glob["operator"] == "incr" and glob["period"]["id"] == "all" and glob["totalPlayers"] == 1
    assert "COMPLETE_LEVEL" in glob["actionTypes"]
    assert api_client.get("/api/v1/leaderboards/arena").json()["data"]["name"] == "Arena"
    for unknown in ("nope", "a%00b", "x" * 65):  # NUL: a 500 from PostgreSQL before
        missing = api_client.get(f"/api/v1/leaderboards/{unknown}")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"
        records = api_client.get(f"/api/v1/leaderboards/{unknown}/records")
        assert records.status_code == 404, records.content


def test_it_edits_a_board_and_keeps_operator_once_recorded(client_for, alice):
    client = client_for(admin_account())
    board = new_board("arena", operator="best")
    changed = client.patch(
        "/api/v1/leaderboards/arena", {"sortOrder": "asc", "name": "Arena 2"}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["data"]["sortOrder"] == "asc"
    write(board, alice, 10)
    refused = client.patch("/api/v1/leaderboards/arena", {"operator": "set"}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "BOARD_HAS_RECORDS"
    both = client.patch("/api/v1/leaderboards/arena", {"operator": "set", "sortOrder": "desc"}, format="json")
    assert both.json()["error"]["details"] == {"fields": ["operator", "sortOrder"]}  # as the API names them
    same = client.patch("/api/v1/leaderboards/arena", {"operator": "best", "name": "Arena 3"}, format="json")
    assert same.status_code == 200 and same.json()["data"]["name"] == "Arena 3"
    bad = client.patch("/api/v1/leaderboards/arena", {"timezone": "Nowhere/Land"}, format="json")
    assert bad.status_code == 400 and "timezone" in bad.json()["error"]["details"]
    schedule = client.patch("/api/v1/leaderboards/arena", {"resetSchedule": "0 0 * * *"}, format="json")
    assert schedule.json()["data"]["resetSchedule"] == "0 0 * * *"
    assert client.patch("/api/v1/leaderboards/global", {"name": "x"}, format="json").status_code == 403
    assert client.patch("/api/v1/leaderboards/nope", {"name": "x"}, format="json").status_code == 404


def test_it_accepts_records_from_game_servers_only(client_for, alice, game_server):
    new_board("arena", operator="incr")
    body = {"userId": str(alice.pk), "score": 5, "metadata": {"map_name": "dust", "lap": 3}}
    assert (
        client_for(alice).post("/api/v1/leaderboards/arena/records", body, format="json").status_code == 403
    )
    response = client_for(game_server).post("/api/v1/leaderboards/arena/records", body, format="json")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["score"] == 5 and data["rank"] == 1 and data["previousScore"] is None
    assert data["previousRank"] is None and data["metadata"] == {"map_name": "dust", "lap": 3}
    assert data["displayName"] == data["username"] == "alice"
    again = (
        client_for(game_server).post("/api/v1/leaderboards/arena/records", body, format="json").json()["data"]
    )
    assert (again["score"], again["previousScore"], again["previousRank"]) == (10, 5, 1)


@pytest.mark.parametrize(
    "body",
    [
        {"userId": 12},
        {"userId": "not-a-uuid", "score": 1},
        {"score": None},
        {"userId": None, "score": "1"},
        {"score": 1.5},
        {"score": 2**60},
        {"metadata": []},
        {"metadata": {"x": "y" * 1100}},
        # U+0000, which PostgreSQL's jsonb cannot store (a 500 before), in a value or a key
        {"metadata": {"a": "\u0000"}},
        {"metadata": {"nested": [{"k\u0000": 1}]}},
        {"metadata": {"\ud800": 1}},  # a lone surrogate (valid JSON, not UTF-8): a 500 before
        {"metadata": {"big": 2**63}},  # beyond 64 bits, which the answer's writer refused: a 500 before
        {"metadata": {"deep": [{"small": -(2**63) - 1}]}},
    ],
)
def test_it_validates_record_bodies(client_for, alice, game_server, body):
    new_board("arena")
    full = json.dumps({"userId": str(alice.pk), "score": 1, **body})  # ASCII: escapes a lone surrogate
    response = client_for(game_server).post(
        "/api/v1/leaderboards/arena/records", full, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert set(response.json()["error"]["details"]) <= {"userId", "score", "metadata"}


def test_it_refuses_records_for_unknown_or_banned_players_and_on_global(client_for, alice, game_server):
    new_board("arena")
    client = client_for(game_server)
    unknown = {"userId": "00000000-0000-0000-0000-000000000001", "score": 1}
    assert client.post("/api/v1/leaderboards/arena/records", unknown, format="json").status_code == 404
    alice.status = alice.Status.BANNED
    alice.save()
    body = {"userId": str(alice.pk), "score": 1}
    assert client.post("/api/v1/leaderboards/arena/records", body, format="json").status_code == 404
    closed = client.post("/api/v1/leaderboards/global/records", body, format="json")
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "BOARD_CLOSED"


def test_an_unknown_player_is_a_404_before_a_closed_season_is_a_409(client_for, alice, game_server):
    from datetime import UTC, datetime

    from leaderboard.models import ScoreHistory

    new_board("season", starts_at=datetime(2020, 1, 1, tzinfo=UTC), ends_at=datetime(2020, 2, 1, tzinfo=UTC))
    client = client_for(game_server)
    unknown = {"userId": "00000000-0000-0000-0000-000000000001", "score": 1}
    assert client.post("/api/v1/leaderboards/season/records", unknown, format="json").status_code == 404
    closed = client.post(
        "/api/v1/leaderboards/season/records", {"userId": str(alice.pk), "score": 1}, format="json"
    )
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "BOARD_CLOSED"
    assert not ScoreHistory.objects.filter(user=alice, kind="board").exists()


def test_it_refuses_to_make_a_fed_board_anything_but_incr(client_for):
    new_board("levels", operator="incr", action_types=["COMPLETE_LEVEL"])
    client = client_for(admin_account())
    refused = client.patch("/api/v1/leaderboards/levels", {"operator": "best"}, format="json")
    assert refused.status_code == 400 and "actionTypes" in refused.json()["error"]["details"]
    cleared = client.patch(
        "/api/v1/leaderboards/levels", {"operator": "best", "actionTypes": []}, format="json"
    )
    assert cleared.status_code == 200 and cleared.json()["data"]["operator"] == "best"


def test_it_keeps_record_metadata_keys_as_sent(client_for, alice, game_server):
    new_board("arena", operator="set")
    body = {"userId": str(alice.pk), "score": 1, "metadata": {"snake_key": {"inner_key": 1}, "camelKey": 2}}
    client_for(game_server).post("/api/v1/leaderboards/arena/records", body, format="json")
    record = client_for(alice).get("/api/v1/leaderboards/arena/records").json()["data"]["records"][0]
    assert record["metadata"] == {"snake_key": {"inner_key": 1}, "camelKey": 2}
    assert set(record) == {"rank", "userId", "username", "displayName", "score", "metadata", "updatedAt"}


def test_it_counts_each_board_read_once_against_the_leaderboard_limit(
    api_client, client_for, game_server, alice, settings
):
    settings.RATE_LIMIT_LEADERBOARD_PER_MINUTE = 3
    new_board("arena")
    game = client_for(game_server)
    for score in (1, 2, 3, 4):  # a game server's writes are not reads: never counted
        assert (
            game.post(
                "/api/v1/leaderboards/arena/records", {"userId": str(alice.pk), "score": score}, format="json"
            ).status_code
            == 200
        )
    assert api_client.get("/api/v1/leaderboards").status_code == 200
    assert api_client.get("/api/v1/leaderboards/arena").status_code == 200
    assert api_client.get("/api/v1/leaderboards/arena/records").status_code == 200
    response = api_client.get("/api/v1/leaderboards/arena/periods")
    assert response.status_code == 429 and response.json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
