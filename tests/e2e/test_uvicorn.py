"""The application under uvicorn as well as daphne: HTTP, both sockets, SSE, close codes, logs."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from channels.db import database_sync_to_async as sync_to_async
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from accounts.tokens import issue_token_pair
from tests.helpers.child_servers import child_server_env, complete_over_http, started_with_log
from tests.helpers.players import make_player
from tests.helpers.servers import Uvicorn

pytestmark = [pytest.mark.production_shape, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    uvicorn = started_with_log(Uvicorn, "uvicorn.log", child_server_env(BROADCAST_INTERVAL_MS="0"))
    yield uvicorn
    uvicorn.stop()


async def test_it_serves_scoring_and_live_updates_under_uvicorn(server):
    alice = await sync_to_async(make_player)("alice")
    token = await sync_to_async(lambda: issue_token_pair(alice).access)()
    async with (
        connect(f"{server.ws}/ws/leaderboard/live?token={token}") as live,
        connect(f"{server.ws}/ws/scoreboard") as scoreboard,
    ):
        assert json.loads(await live.recv())["event"] == "leaderboard:initial"
        assert json.loads(await scoreboard.recv())["type"] == "connected"
        await sync_to_async(complete_over_http)(server.http, alice)
        async with asyncio.timeout(5):
            while (message := json.loads(await live.recv()))["event"] != "leaderboard:update":
                pass
        assert message["data"]["leaderboard"][0]["score"] == 100
        with pytest.raises(ConnectionClosed) as closed:
            await scoreboard.send("x" * 4097)
            async with asyncio.timeout(5):
                while True:
                    await scoreboard.recv()
        assert closed.value.rcvd.code == 1009
    async with httpx.AsyncClient(base_url=server.http) as client:
        assert (await client.get(f"/api/v1/leaderboard?token={token}")).json()["data"]["totalPlayers"] == 1
        async with client.stream("GET", "/api/v1/leaderboard/stream") as stream:
            lines = stream.aiter_lines()
            async with asyncio.timeout(5):
                while not (await anext(lines)).startswith("event: leaderboard:update"):
                    pass

    server.stop()
    log = server.log.read_text()
    assert "GET /api/v1/leaderboard?token=[redacted]" in log  # the access log is kept, redacted
    assert token not in log
