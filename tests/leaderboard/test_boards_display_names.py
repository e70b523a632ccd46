"""Named boards show each player's display name (the username when none is set), as ``global`` does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from channels.db import database_sync_to_async

from accounts.display_names import display_name_reset, display_name_set
from leaderboard.boards import resets
from tests.helpers.boards import new_board, write
from tests.helpers.players import make_player
from tests.helpers.sockets import next_json, open_socket, wait_for_json


def names(records: list[dict]) -> list[tuple[str, str]]:
    return [(r["username"], r["displayName"]) for r in records]


@pytest.mark.django_db
def test_every_read_of_a_board_shows_the_display_name(store, client_for, game_server, alice, bob):
    display_name_set(user=alice, display_name="Queen Alice")
    board = new_board("arena")
    write(board, bob, 10)
    assert client_for(alice).put(f"/api/v1/users/me/friends/{bob.pk}").status_code == 200
    written = client_for(game_server).post(
        "/api/v1/leaderboards/arena/records", {"userId": str(alice.pk), "score": 20}, format="json"
    )
    assert written.status_code == 200, written.content
    assert written.json()["data"]["displayName"] == "Queen Alice"

    client = client_for(alice)
    page = client.get("/api/v1/leaderboards/arena/records").json()["data"]
    assert names(page["records"]) == [("alice", "Queen Alice"), ("bob", "bob")]
    around = client.get("/api/v1/leaderboards/arena/records/around-me").json()["data"]
    assert names(around["records"]) == [("alice", "Queen Alice"), ("bob", "bob")]
    friends = client.get("/api/v1/leaderboards/arena/records/friends").json()["data"]
    assert names(friends["records"]) == [("alice", "Queen Alice"), ("bob", "bob")]


@pytest.mark.django_db
def test_a_finished_periods_top_shows_the_display_name(store, api_client, alice, monkeypatch):
    clock = {"now": datetime(2026, 3, 28, 12, tzinfo=UTC)}
    monkeypatch.setattr("leaderboard.boards.clock.now", lambda: clock["now"])
    display_name_set(user=alice, display_name="Queen Alice")
    write(new_board("cup", reset_schedule="0 0 * * *"), alice, 5, at=clock["now"])
    clock["now"] += timedelta(days=1)
    assert resets.roll_due() == 1
    periods = api_client.get("/api/v1/leaderboards/cup/periods").json()["data"]["periods"]
    assert names(periods[0]["top"]) == [("alice", "Queen Alice")]


@pytest.mark.django_db(transaction=True)
async def test_a_boards_live_top_10_carries_a_new_name(settings):
    settings.BROADCAST_INTERVAL_MS = 0
    alice = await database_sync_to_async(make_player)("alice")
    board = await database_sync_to_async(new_board)("arena")
    await database_sync_to_async(write)(board, alice, 10)
    socket, _, _ = await open_socket("/ws/leaderboard/live?board=arena")
    try:
        initial = await next_json(socket)
        assert names(initial["data"]["leaderboard"]) == [("alice", "alice")]
        await database_sync_to_async(display_name_set)(user=alice, display_name="Queen Alice")
        renamed = await wait_for_json(socket, lambda m: m["event"] == "leaderboard:update")
        assert names(renamed["data"]["leaderboard"]) == [("alice", "Queen Alice")]
        await database_sync_to_async(display_name_reset)(user=alice)  # a moderator's reset
        reset = await wait_for_json(socket, lambda m: m["event"] == "leaderboard:update")
        assert names(reset["data"]["leaderboard"]) == [("alice", "alice")]
    finally:
        await socket.disconnect()
