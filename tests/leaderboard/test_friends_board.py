"""GET /leaderboards/global/records/friends: the caller and their friends, ranked among themselves."""

from __future__ import annotations

import pytest

from accounts.models import Follow, User
from leaderboard import friends, ranking
from leaderboard.periods import window_for
from tests.helpers.stores import redis_calls

URL = "/api/v1/leaderboards/global/records/friends"


@pytest.fixture
def circle(player):
    alice = player("alice", 300, at=1)
    bob = player("bob", 500, at=2)
    player("dave", 1000, at=0)  # not followed: only in the board ranks
    erin = player("erin", 500, at=3, display_name="<b>Erin</b>")
    carol = player("carol", 100, at=4)
    banned = player("mallory", 5000, at=0, status=User.Status.BANNED)
    Follow.objects.bulk_create([Follow(follower=alice, followee=u) for u in (carol, erin, bob, banned)])
    return alice


def test_it_ranks_the_caller_and_friends_among_themselves(store, client_for, circle):
    response = client_for(circle).get(URL)
    assert response.status_code == 200, response.content
    records = response.json()["data"]["records"]
    assert [(r["username"], r["rank"], r["boardRank"], r["score"]) for r in records] == [
        ("bob", 1, 2, 500),
        ("erin", 1, 2, 500),
        ("alice", 3, 4, 300),
        ("carol", 4, 5, 100),
    ]
    assert set(records[0]) == {
        "rank",
        "boardRank",
        "userId",
        "username",
        "displayName",
        "score",
        "metadata",
        "updatedAt",
    }
    assert records[1]["displayName"] == "<b>Erin</b>" and records[0]["displayName"] == "bob"
    assert (
        records[0]["updatedAt"].endswith("Z") and records[0]["metadata"] == {}
    )  # as on /leaderboards/global/records


def test_it_answers_the_caller_alone_without_friends(store, client_for, player):
    alice = player("alice", 300)
    records = client_for(alice).get(URL + "?period=current").json()["data"]["records"]
    assert [(r["username"], r["rank"], r["boardRank"]) for r in records] == [("alice", 1, 1)]


def test_it_ranks_periods_too(store, client_for, circle):
    records = client_for(circle).get(URL + "?period=daily").json()["data"]["records"]
    # Nobody scored today: everyone has 0 and shares rank 1.
    assert {(r["rank"], r["boardRank"], r["score"]) for r in records} == {(1, 1, 0)}
    assert len(records) == 4


@pytest.mark.django_db
def test_it_refuses_other_boards_bad_periods_and_strangers(client_for, api_client, alice):
    assert client_for(alice).get("/api/v1/leaderboards/weekly-cup/records/friends").status_code == 404
    response = client_for(alice).get(URL + "?period=yearly")
    assert response.status_code == 400 and "period" in response.json()["error"]["details"]
    assert api_client.get(URL).status_code == 401


@pytest.mark.production_shape
def test_it_reads_redis_in_one_round_trip(settings, circle, monkeypatch):
    settings.LEADERBOARD_STORE = "auto"
    ids = [str(u.pk) for u in User.objects.all()]
    board = ranking.board_for(window_for("all"))
    friends.board_standings(board, ids)  # the script is loaded
    with redis_calls(monkeypatch) as sent:
        standings = friends.board_standings(board, ids)
    assert sent == ["EVALSHA"]
    assert {s.board_rank for s in standings.values()} == {1, 2, 4, 5}


def test_it_ranks_friends_on_a_named_board_in_its_sort_order(store, client_for, player):
    from accounts.models import Follow
    from tests.helpers.boards import new_board, write

    alice, bob, carol, dave = (player(name, 0) for name in ("alice", "bob", "carol", "dave"))
    Follow.objects.bulk_create([Follow(follower=alice, followee=u) for u in (bob, carol)])
    board = new_board("speedrun", operator="best", sort_order="asc")
    write(board, dave, 10)  # not followed: only in the board ranks
    write(board, carol, 40, metadata={"map": "dust"})
    write(board, alice, 30)
    write(board, bob, 20)
    response = client_for(alice).get("/api/v1/leaderboards/speedrun/records/friends")
    assert response.status_code == 200, response.content
    records = response.json()["data"]["records"]
    assert [(r["username"], r["rank"], r["boardRank"], r["score"]) for r in records] == [
        ("bob", 1, 2, 20),
        ("alice", 2, 3, 30),
        ("carol", 3, 4, 40),
    ]
    assert records[2]["metadata"] == {"map": "dust"}
    bad = client_for(alice).get("/api/v1/leaderboards/speedrun/records/friends?period=nonsense")
    assert bad.status_code in (400, 404)
