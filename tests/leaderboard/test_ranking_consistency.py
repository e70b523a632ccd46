"""The Redis boards follow the accounts, even when a write to them was lost."""

from __future__ import annotations

import pytest

from leaderboard import ranking
from leaderboard.periods import window_for
from leaderboard.redis_store import RedisBoard
from tests.conftest import make_player

pytestmark = [pytest.mark.production_shape, pytest.mark.django_db]


def listed(api_client, period: str = "all") -> tuple[set[str], int]:
    data = api_client.get(f"/api/v1/leaderboard?limit=100&period={period}").json()["data"]
    return {entry["username"] for entry in data["leaderboard"]}, data["totalPlayers"]


def test_it_takes_a_player_promoted_to_staff_off_the_boards_and_back(
    api_client, alice, bob, django_capture_on_commit_callbacks
):
    assert listed(api_client) == ({"alice", "bob"}, 2)

    with django_capture_on_commit_callbacks(execute=True):
        alice.is_staff = True
        alice.save()  # as the admin's user form does
    assert listed(api_client) == ({"bob"}, 1)

    with django_capture_on_commit_callbacks(execute=True):
        alice.is_staff = False
        alice.save()
    assert listed(api_client) == ({"alice", "bob"}, 2)


@pytest.mark.parametrize("period", ["all", "daily"])
def test_it_rebuilds_a_board_that_lost_a_player(api_client, monkeypatch, period):
    make_player("carol", score=50)
    dave = make_player("dave", score=20)
    assert listed(api_client, period)[1] == 2
    # A write made while this process could not reach Redis: the board never heard of dave.
    RedisBoard(window_for(period)).remove(str(dave.pk))
    assert listed(api_client, period)[1] == 1  # within the reconcile interval: still the stale view

    monkeypatch.setattr(ranking, "RECONCILE_EVERY_S", 0.0)

    assert listed(api_client, period) == ({"carol", "dave"}, 2)
