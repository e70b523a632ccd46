"""Two real daphne processes share one channel layer: a client on either sees every change."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from channels.db import database_sync_to_async as sync_to_async
from websockets.asyncio.client import connect

from accounts.tokens import issue_token_pair
from leaderboard.broadcast import broadcaster
from leaderboard.services import score_history_record
from tests.helpers.child_servers import child_server_env, complete_over_http
from tests.helpers.players import make_player
from tests.helpers.servers import daphne_pair, next_message

pytestmark = [pytest.mark.production_shape, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker):
    """Processes A and B on the test database (pytest-django's test_<name>) and Redis."""
    env = child_server_env(BROADCAST_INTERVAL_MS="0")
    with daphne_pair(env) as pair:
        yield pair


async def test_it_delivers_a_change_to_sockets_on_both_processes(servers):
    a, b = servers
    alice = await sync_to_async(make_player)("alice")
    await sync_to_async(make_player)("bob")
    token = await sync_to_async(lambda: issue_token_pair(alice).access)()
    async with (
        connect(
            f"{b.ws}/ws/leaderboard/live", additional_headers={"Authorization": f"Bearer {token}"}
        ) as on_b,
        connect(f"{a.ws}/ws/scoreboard") as on_a,
    ):
        assert json.loads(await on_b.recv())["event"] == "leaderboard:initial"
        assert json.loads(await on_a.recv())["type"] == "connected"
        await on_a.send(json.dumps({"type": "subscribe", "channel": "leaderboard"}))
        await next_message(on_a, lambda m: m["type"] == "leaderboard_update")
        await sync_to_async(score_history_record)(user=alice, increment=250)
        seen: dict[str, dict] = {}
        await next_message(
            on_b,
            lambda m: (
                bool(seen.setdefault(m["event"], m)) and {"score:update", "leaderboard:update"} <= set(seen)
            ),
        )
        update = seen["leaderboard:update"]
        assert update["data"]["leaderboard"][0] == {
            **update["data"]["leaderboard"][0],
            "username": "alice",
            "score": 250,
        }
        assert seen["score:update"]["data"]["newScore"] == 250
        other = await next_message(on_a, lambda m: m["type"] == "leaderboard_update")
        assert other["data"]["seq"] == update["data"]["seq"]
        assert other["data"]["leaderboard"][0]["change"] == "+250"


async def test_it_closes_a_banned_players_socket_on_another_process(servers):
    _, b = servers
    mallory = await sync_to_async(make_player)("mallory")
    token = await sync_to_async(lambda: issue_token_pair(mallory).access)()
    async with connect(f"{b.ws}/ws/leaderboard/live?token={token}") as socket:
        await socket.recv()
        await sync_to_async(broadcaster.disconnect_banned_user)(mallory.pk)
        async with asyncio.timeout(5):
            with pytest.raises(Exception):  # noqa: B017 - ConnectionClosed
                while True:
                    await socket.recv()
        assert socket.close_code == 4403


async def test_it_refuses_a_foreign_origin_with_http_403(servers):
    a, _ = servers
    with pytest.raises(Exception) as refused:  # noqa: B017 - InvalidStatus
        async with connect(f"{a.ws}/ws/leaderboard/live", origin="https://evil.example.net"):
            pass
    assert "403" in str(refused.value)


async def test_it_streams_server_sent_events_from_another_process(servers):
    a, _ = servers
    await sync_to_async(make_player)("carol")
    async with (
        httpx.AsyncClient(timeout=5) as client,
        client.stream("GET", f"{a.http}/api/v1/leaderboard/stream") as response,
    ):
        assert response.status_code == 200
        async for line in response.aiter_lines():
            if line.startswith("data: "):
                assert json.loads(line[6:])["leaderboard"][0]["username"] == "carol"
                break


async def test_it_delivers_a_completion_made_through_process_a_to_a_socket_on_process_b(servers):
    a, b = servers
    alice = await sync_to_async(make_player)("alice")
    await sync_to_async(make_player)("bob", score=50)
    token = await sync_to_async(lambda: issue_token_pair(alice).access)()
    async with connect(f"{b.ws}/ws/leaderboard/live?token={token}") as on_b:
        assert json.loads(await on_b.recv())["event"] == "leaderboard:initial"

        done = await sync_to_async(complete_over_http)(a.http, alice)  # HTTP to process A

        seen: dict[str, dict] = {}  # the personal event and the top 10 may come in either order,
        # and the board of the registrations (sent without waiting) may still come before them

        def keep(m: dict) -> bool:
            if m["event"] != "leaderboard:update" or m["data"]["leaderboard"][0]["username"] == "alice":
                seen.setdefault(m["event"], m)
            return {"leaderboard:update", "score:update"} <= seen.keys()

        await next_message(on_b, keep)
        top = seen["leaderboard:update"]["data"]["leaderboard"][0]
        assert (top["username"], top["score"]) == ("alice", done["newScore"]) == ("alice", 100)
        assert seen["score:update"]["data"] == {
            "userId": str(alice.pk),
            "oldScore": 0,
            "newScore": 100,
            "increment": 100,
            "newRank": 1,
        }
