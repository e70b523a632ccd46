"""Friends: a one-way follow list through /users/me/friends."""

from __future__ import annotations

import uuid

import pytest

from accounts.friends import MAX_FRIENDS
from accounts.models import Follow, User
from tests.helpers.players import make_player
from tests.helpers.racing import race

pytestmark = pytest.mark.django_db


def _put(client, user_id):
    return client.put(f"/api/v1/users/me/friends/{user_id}")


def test_it_follows_lists_and_unfollows(client_for, alice, bob):
    carol = make_player("carol", display_name="Carol <3")
    client = client_for(alice)
    for target in (bob, carol, bob):  # following twice is no error
        response = _put(client, target.pk)
        assert response.status_code == 200 and response.json() == {"success": True, "data": {}}
    friends = client.get("/api/v1/users/me/friends").json()["data"]["friends"]
    assert friends == [
        {"userId": str(bob.pk), "username": "bob", "displayName": "bob"},
        {"userId": str(carol.pk), "username": "carol", "displayName": "Carol <3"},
    ]
    assert client_for(bob).get("/api/v1/users/me/friends").json()["data"]["friends"] == []  # one-way
    for _ in range(2):  # unfollowing twice is no error
        response = client.delete(f"/api/v1/users/me/friends/{bob.pk}")
        assert response.status_code == 200 and response.json()["data"] == {}
    assert [f["username"] for f in client.get("/api/v1/users/me/friends").json()["data"]["friends"]] == [
        "carol"
    ]


def test_it_refuses_unknown_banned_and_non_players_and_oneself(client_for, alice, moderator, game_server):
    banned = make_player("banned", status=User.Status.BANNED)
    client = client_for(alice)
    for target in (uuid.uuid4(), banned.pk, moderator.pk, game_server.pk):
        response = _put(client, target)
        assert response.status_code == 404 and response.json()["error"]["code"] == "NOT_FOUND"
    response = _put(client, alice.pk)
    assert response.status_code == 400 and response.json()["error"]["code"] == "VALIDATION_ERROR"
    response = _put(client, "not-a-uuid")
    assert response.status_code == 400 and "userId" in response.json()["error"]["details"]
    assert not Follow.objects.exists()


def test_it_leaves_a_banned_friend_off_the_list(client_for, alice, bob):
    _put(client_for(alice), bob.pk)
    User.objects.filter(pk=bob.pk).update(status=User.Status.BANNED)
    assert client_for(alice).get("/api/v1/users/me/friends").json()["data"]["friends"] == []


def test_it_needs_a_token(api_client, bob):
    assert api_client.get("/api/v1/users/me/friends").status_code == 401
    assert _put(api_client, bob.pk).status_code == 401
    assert api_client.delete(f"/api/v1/users/me/friends/{bob.pk}").status_code == 401


def _followees(count: int) -> list[User]:
    return User.objects.bulk_create([User(username=f"f{n:04d}", email="") for n in range(count)])


def test_it_follows_at_most_500(client_for, alice):
    followees = _followees(MAX_FRIENDS + 1)
    Follow.objects.bulk_create(
        [Follow(follower=alice, followee=user) for user in followees[: MAX_FRIENDS - 1]]
    )
    client = client_for(alice)
    assert _put(client, followees[MAX_FRIENDS - 1].pk).status_code == 200
    response = _put(client, followees[MAX_FRIENDS].pk)
    assert response.status_code == 409 and response.json()["error"]["code"] == "FRIEND_LIMIT_REACHED"
    assert _put(client, followees[0].pk).status_code == 200  # already followed: still fine
    assert len(client.get("/api/v1/users/me/friends").json()["data"]["friends"]) == MAX_FRIENDS


@pytest.mark.django_db(transaction=True)
def test_it_holds_the_limit_when_follows_race(alice):
    from accounts.exceptions import FriendLimitReached
    from accounts.friends import friend_add

    followees = _followees(MAX_FRIENDS + 4)
    Follow.objects.bulk_create(
        [Follow(follower=alice, followee=user) for user in followees[: MAX_FRIENDS - 1]]
    )
    outcomes = race(5, lambda i: friend_add(user=alice, friend_id=followees[MAX_FRIENDS - 1 + i].pk))
    assert sum(outcome is None for outcome in outcomes) == 1, outcomes
    assert all(isinstance(outcome, FriendLimitReached) for outcome in outcomes if outcome is not None)
    assert Follow.objects.filter(follower=alice).count() == MAX_FRIENDS
