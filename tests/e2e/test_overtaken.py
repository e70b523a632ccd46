"""``rank:overtaken`` across two daphne processes: three players, each socket on its own process."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async as sync_to_async
from websockets.asyncio.client import connect

from accounts.display_names import display_name_set
from accounts.tokens import issue_token_pair
from tests.helpers.child_servers import child_server_env, complete_over_http
from tests.helpers.players import make_player
from tests.helpers.servers import daphne_pair, next_message

pytestmark = [pytest.mark.production_shape, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker):
    # Coalescing on (the default 1 s): personal events must get through all the same.
    env = child_server_env()
    with daphne_pair(env) as pair:
        yield pair


async def test_it_tells_the_players_passed_on_both_processes_and_dialects(servers):
    a, b = servers
    alice = await sync_to_async(make_player)("alice")
    await sync_to_async(display_name_set)(user=alice, display_name="<i>Alice</i>")
    bob = await sync_to_async(make_player)("bob", score=50)
    carol = await sync_to_async(make_player)("carol", score=80)
    bob_token, carol_token = await sync_to_async(lambda: [issue_token_pair(u).access for u in (bob, carol)])()
    async with (
        connect(f"{a.ws}/ws/leaderboard/live?token={carol_token}") as carol_on_a,
        connect(f"{b.ws}/ws/scoreboard?token={bob_token}") as bob_on_b,
    ):
        assert json.loads(await carol_on_a.recv())["event"] == "leaderboard:initial"
        assert json.loads(await bob_on_b.recv())["type"] == "connected"

        done = await sync_to_async(complete_over_http)(a.http, alice)  # alice: 0 -> 100, through process A
        assert done["newScore"] == 100

        to_carol = await next_message(carol_on_a, lambda m: m.get("event") == "rank:overtaken")
        by = {"userId": str(alice.pk), "username": "alice", "displayName": "<i>Alice</i>"}
        assert to_carol["data"] == {"board": "global", "by": by, "previousRank": 1, "rank": 2, "score": 80}
        to_bob = await next_message(bob_on_b, lambda m: m.get("type") == "overtaken")
        assert to_bob["data"] == {"board": "global", "by": by, "previousRank": 2, "rank": 3, "score": 50}
