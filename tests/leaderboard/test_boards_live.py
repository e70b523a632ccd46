"""Each named board's top 10, live: /ws/leaderboard/live?board=, subscribe on /ws/scoreboard,
SSE ?board=, all through the one hub per process."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from anticheat.moderation import player_ban
from leaderboard.boards import services
from leaderboard.boards.models import Leaderboard
from leaderboard.broadcast.hub import get_hub
from tests.helpers.boards import new_board
from tests.helpers.players import make_player
from tests.helpers.sockets import close_code, next_json, open_socket, wait_for_json
from tests.helpers.sse import Stream

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _uncoalesced(settings):
    settings.BROADCAST_INTERVAL_MS = 0


@database_sync_to_async
def setup_boards():
    arena, other = new_board("arena", operator="best"), new_board("other", operator="incr")
    return arena, other, make_player("alice"), make_player("bob")


@database_sync_to_async
def score(board: Leaderboard, user, value: int) -> None:
    services.record_write(board=Leaderboard.objects.get(pk=board.pk), user=user, score=value)


def top(message: dict) -> list[tuple[str, int]]:
    return [(e["username"], e["score"]) for e in message["data"]["leaderboard"]]


async def test_it_sends_a_boards_top_10_on_the_live_socket():
    arena, other, alice, bob = await setup_boards()
    await score(arena, alice, 30)
    socket, connected, _ = await open_socket("/ws/leaderboard/live?board=arena")
    assert connected
    initial = await next_json(socket)
    assert initial["event"] == "leaderboard:initial" and top(initial) == [("alice", 30)]
    assert initial["data"]["board"] == "arena" and initial["data"]["leaderboard"][0]["displayName"] == "alice"
    plain, _, _ = await open_socket("/ws/leaderboard/live")
    await next_json(plain)
    await score(other, bob, 5)  # another board: not on this socket
    await score(arena, bob, 50)
    update = await wait_for_json(socket, lambda m: m["event"] == "leaderboard:update")
    assert top(update) == [("bob", 50), ("alice", 30)]
    assert await plain.receive_nothing(timeout=0.3)  # the global board did not change
    assert len([c for c in get_hub().clients if c.board == "arena"]) == 1
    await socket.disconnect()
    await plain.disconnect()


@pytest.mark.parametrize("key", ["nope", "%00", "a%00b", "x" * 65])  # NUL: PostgreSQL's DataError (1011)
async def test_it_closes_a_socket_asking_for_an_unknown_board(key):
    socket, connected, _ = await open_socket(f"/ws/leaderboard/live?board={key}")
    assert await close_code(socket) == 4404


async def test_it_subscribes_to_a_board_channel_on_the_scoreboard_socket():
    arena, other, alice, bob = await setup_boards()
    socket, _, _ = await open_socket("/ws/scoreboard")
    assert (await next_json(socket))["type"] == "connected"
    await socket.send_json_to({"type": "subscribe", "channel": "leaderboard:arena"})
    first = await next_json(socket)
    assert first["type"] == "leaderboard_update" and first["data"]["board"] == "arena" and top(first) == []
    await socket.send_json_to({"type": "subscribe", "channel": "leaderboard:other"})
    assert (await next_json(socket))["data"]["board"] == "other"
    await score(arena, alice, 10)
    update = await wait_for_json(socket, lambda m: m["type"] == "leaderboard_update" and top(m))
    assert update["data"]["board"] == "arena" and update["data"]["leaderboard"][0]["change"] == "+10"
    await score(other, bob, 7)
    other_update = await wait_for_json(socket, lambda m: m["type"] == "leaderboard_update" and top(m))
    assert other_update["data"]["board"] == "other" and top(other_update) == [("bob", 7)]
    await socket.send_json_to({"type": "unsubscribe", "channel": "leaderboard:arena"})
    await asyncio.sleep(0.1)
    await score(arena, bob, 99)
    assert await socket.receive_nothing(timeout=0.3)
    for unknown in ("nope", "a\u0000b"):
        await socket.send_json_to({"type": "subscribe", "channel": f"leaderboard:{unknown}"})
        error = await next_json(socket)
        assert error["type"] == "error" and error["data"]["code"] == "UNKNOWN_CHANNEL"
    await socket.disconnect()


async def test_it_streams_a_board_over_sse():
    arena, other, alice, bob = await setup_boards()
    stream = BoardStream("arena")
    assert (await stream.start())["status"] == 200
    first = await stream.body()
    assert "event: leaderboard:update" in first and '"board":"arena"' in first
    await score(arena, alice, 12)
    body = ""
    while '"alice"' not in body:
        body = await stream.body()
    assert '"score":12' in body
    await stream.close()
    for unknown in ("nope", "a%00b"):  # NUL: a 500 from PostgreSQL before
        missing = BoardStream(unknown)
        assert (await missing.start())["status"] == 404


class BoardStream(Stream):
    """The SSE stream of one board (``?board=``)."""

    def __init__(self, board: str) -> None:
        super().__init__(query=f"board={board}")


async def test_it_resends_a_boards_top_10_when_a_player_on_it_is_banned():
    arena, other, alice, bob = await setup_boards()
    await score(arena, alice, 30)
    await score(arena, bob, 20)
    socket, _, _ = await open_socket("/ws/leaderboard/live?board=arena")
    assert top(await next_json(socket)) == [("alice", 30), ("bob", 20)]
    moderator = await database_sync_to_async(make_player)("mod", is_staff=True, is_superuser=True)
    await database_sync_to_async(player_ban)(user=alice, actor=moderator, reason="cheating")
    update = await wait_for_json(socket, lambda m: m["event"] == "leaderboard:update")
    assert top(update) == [("bob", 20)] and update["data"]["leaderboard"][0]["rank"] == 1
    await socket.disconnect()


async def test_it_catches_up_a_boards_top_10_a_hub_missed(monkeypatch):
    """A pub/sub reconnect loses the message: the hub's watch finds the newer shared state."""
    arena, _, alice, bob = await setup_boards()
    await score(arena, alice, 30)
    socket, connected, _ = await open_socket("/ws/leaderboard/live?board=arena")
    assert connected and top(await next_json(socket)) == [("alice", 30)]
    with monkeypatch.context() as lost:
        lost.setattr("leaderboard.broadcast.channel.group_send", lambda group, message: None)
        await score(arena, bob, 50)  # stored as the board's last state, never delivered
    assert await socket.receive_nothing(timeout=0.3)
    await get_hub().catch_up()
    update = await wait_for_json(socket, lambda m: m["event"] == "leaderboard:update")
    assert top(update) == [("bob", 50), ("alice", 30)] and update["data"]["board"] == "arena"
    await get_hub().catch_up()  # nothing newer: nothing resent
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


async def test_unsubscribing_frees_a_boards_place_on_the_scoreboard_socket(monkeypatch):
    """At most MAX_BOARDS_PER_SOCKET named boards at once; an unsubscribed board no longer
    counts (it did: a socket that had ever watched 20 boards could watch no other)."""
    from leaderboard import ws_limits
    from leaderboard.boards.sockets import MAX_BOARDS_PER_SOCKET

    monkeypatch.setattr(ws_limits, "FLOOD_BURST", 100.0)  # 42 messages in a row: not a flood here

    keys = [f"b{index:02d}" for index in range(MAX_BOARDS_PER_SOCKET + 1)]
    await database_sync_to_async(lambda: [new_board(key, operator="best") for key in keys])()
    socket, _, _ = await open_socket("/ws/scoreboard")
    assert (await next_json(socket))["type"] == "connected"
    try:
        for key in keys[:-1]:
            await socket.send_json_to({"type": "subscribe", "channel": f"leaderboard:{key}"})
            assert (await next_json(socket))["data"]["board"] == key
        await socket.send_json_to({"type": "subscribe", "channel": f"leaderboard:{keys[-1]}"})
        assert (await next_json(socket))["data"]["code"] == "UNKNOWN_CHANNEL"  # the cap
        for key in keys[:-1]:
            await socket.send_json_to({"type": "unsubscribe", "channel": f"leaderboard:{key}"})
        await socket.send_json_to({"type": "subscribe", "channel": f"leaderboard:{keys[-1]}"})
        answer = await wait_for_json(socket, lambda m: m.get("type") != "unsubscribed")
        assert answer["type"] == "leaderboard_update" and answer["data"]["board"] == keys[-1]
        assert [c.board for c in get_hub().clients if c.board != "global"] == [keys[-1]]
    finally:
        await socket.disconnect()
        await get_hub().stop()
