"""Close codes as a real daphne process sends them (the ASGI test communicator skips
daphne, whose WebSocket library refuses RFC codes like 1009 unless taught otherwise)."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async as sync_to_async
from django.conf import settings
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from accounts.tokens import issue_token_pair
from tests.helpers.child_servers import child_server_env
from tests.helpers.players import make_player
from tests.helpers.servers import Daphne

pytestmark = [pytest.mark.production_shape, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    daphne = Daphne(child_server_env(WS_NEW_CONNECTIONS_PER_5_MINUTES="100"))
    daphne.start()
    yield daphne
    daphne.stop()


async def close_code_after(socket, message: str | None = None, repeat: int = 1) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        for _ in range(repeat):
            await socket.send(message)
        async with asyncio.timeout(5):
            while True:
                await socket.recv()
    return closed.value.rcvd.code


@pytest.mark.parametrize("path", ["/ws/leaderboard/live", "/ws/scoreboard"])
async def test_it_closes_with_1009_on_a_message_over_4_kib(server, path):
    async with connect(f"{server.ws}{path}") as socket:
        await socket.recv()
        at_limit = json.dumps({"type": "ping", "pad": "x" * (4096 - 27)})
        assert len(at_limit.encode()) == 4096
        await socket.send(at_limit)
        assert "pong" in await asyncio.wait_for(socket.recv(), 5)
        assert await close_code_after(socket, "x" * 4097) == 1009


@pytest.mark.parametrize("path", ["/ws/leaderboard/live", "/ws/scoreboard"])
async def test_it_closes_with_1009_past_daphnes_own_1_mib_too(server, path):
    """daphne's limit (1 MiB) fails the socket before the consumer sees the message: it
    dropped the connection (1006) until autobahn was told to close with a frame."""
    async with connect(f"{server.ws}{path}", max_size=None) as socket:
        await socket.recv()
        assert await close_code_after(socket, "x" * ((1 << 20) + 1)) == 1009


async def test_it_closes_a_message_flood_with_1008(server):
    async with connect(f"{server.ws}/ws/scoreboard") as socket:
        await socket.recv()
        assert await close_code_after(socket, json.dumps({"type": "ping"}), repeat=200) == 1008


async def test_it_frees_the_players_connection_slots_after_such_closes(server):
    alice = await sync_to_async(make_player)("alice")
    token = await sync_to_async(lambda: issue_token_pair(alice).access)()
    for _ in range(settings.WS_MAX_CONNECTIONS_PER_USER + 2):
        async with connect(f"{server.ws}/ws/leaderboard/live?token={token}") as socket:
            assert json.loads(await socket.recv())["event"] == "leaderboard:initial"
            assert await close_code_after(socket, "x" * 5000) == 1009

    async with connect(f"{server.ws}/ws/leaderboard/live?token={token}") as socket:
        assert json.loads(await socket.recv())["event"] == "leaderboard:initial"
