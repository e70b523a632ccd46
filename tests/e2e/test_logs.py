"""No token ever reaches a log line: ?token= on sockets and URLs, bearer headers."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from channels.db import database_sync_to_async as sync_to_async
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from accounts.tokens import issue_token_pair
from tests.helpers.child_servers import child_server_env, started_with_log
from tests.helpers.players import make_player
from tests.helpers.servers import Daphne

pytestmark = [pytest.mark.production_shape, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def chatty_server(django_db_setup, django_db_blocker):
    """A server with daphne's access log on and the app logging at DEBUG, into a file."""
    server = started_with_log(
        Daphne, "daphne-token-log-check.log", child_server_env(LOG_LEVEL="DEBUG"), verbosity=2
    )
    yield server
    server.stop()


async def test_it_keeps_tokens_out_of_every_log_line(chatty_server):
    alice = await sync_to_async(make_player)("alice")
    valid = await sync_to_async(lambda: issue_token_pair(alice).access)()
    forged = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VySWQiOiJ4In0.FORGEDSIGNATURE42"

    async with connect(f"{chatty_server.ws}/ws/leaderboard/live?token={valid}") as socket:
        assert "leaderboard:initial" in await socket.recv()
    with pytest.raises(ConnectionClosed):
        async with connect(f"{chatty_server.ws}/ws/scoreboard?token={forged}") as socket:
            await asyncio.wait_for(socket.recv(), 5)
            await asyncio.wait_for(socket.recv(), 5)
    async with httpx.AsyncClient(base_url=chatty_server.http) as client:
        await client.get(f"/api/v1/leaderboard?token={valid}")
        await client.get("/api/v1/users/me/score", headers={"Authorization": f"Bearer {forged}"})
    chatty_server.stop()

    text = chatty_server.log.read_text()
    assert "/ws/leaderboard/live" in text  # the access log was on: there was something to leak
    for secret in (valid, forged, valid.split(".")[2], "FORGEDSIGNATURE42"):
        assert secret not in text
