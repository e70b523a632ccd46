"""Fault 6: the servers' pub/sub connections to Redis are dropped (``CLIENT KILL TYPE
pubsub``) while 1,000 live-leaderboard sockets are open and the top 10 changes."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.helpers.faults.checker import sql_boards, sql_order
from tests.helpers.faults.load import completion_body, seed_players
from tests.helpers.faults.sockets import Watchers

pytestmark = [pytest.mark.faults, pytest.mark.production_shape, pytest.mark.timeout(300)]
SOCKETS = 1000


def group_subscribers(client) -> int:
    channels = client.pubsub_channels("*__group__leaderboard")
    return sum(count for _, count in client.pubsub_numsub(*channels)) if channels else 0


def test_it_shows_every_socket_the_current_top_10_within_2_s_of_the_reconnect(stores, launch):
    a, b = launch(), launch()
    players = seed_players(stores.env(), 12)
    redis = stores.redis()
    marks: dict[str, float] = {}

    async def scenario() -> tuple[Watchers, list]:
        watchers = Watchers()
        try:
            await watchers.open([f"{a.ws}/ws/leaderboard/live", f"{b.ws}/ws/leaderboard/live"], SOCKETS)
            assert group_subscribers(redis) == 2  # one hub per process
            async with httpx.AsyncClient(timeout=20) as client:
                issued = (
                    await client.post(
                        f"{a.http}/api/v1/actions/request",
                        json={"actionType": "COMPLETE_LEVEL"},
                        headers=players[0].headers,
                    )
                ).json()["data"]
                await asyncio.sleep(1.1)
                started = time.monotonic()
                scored = False
                while time.monotonic() - started < 2.5:  # every pub/sub connection, again and again
                    redis.client_kill_filter(_type="pubsub")
                    if not scored and time.monotonic() - started > 0.5:
                        scored = True  # the top 10 changes while no hub listens
                        done = await client.post(
                            f"{a.http}/api/v1/actions/complete",
                            json=completion_body(issued),
                            headers=players[0].headers,
                        )
                        assert done.status_code == 200, done.text
                    await asyncio.sleep(0.02)
            marks["last_kill"] = time.monotonic()
            while group_subscribers(redis) < 2:
                assert time.monotonic() - marks["last_kill"] < 10, "the hubs did not subscribe again"
                await asyncio.sleep(0.01)
            marks["reconnected"] = time.monotonic()
            expected = sql_order(sql_boards(stores.database_url)["all"], limit=10)
            while watchers.showing(expected) < SOCKETS and time.monotonic() - marks["reconnected"] < 10:
                await asyncio.sleep(0.02)
            marks["all_shown"] = time.monotonic()
            return watchers, expected
        finally:
            await watchers.close()

    watchers, expected = asyncio.run(scenario())

    assert expected[0] == (players[0].id, 100)
    assert watchers.showing(expected) == SOCKETS, f"{watchers.showing(expected)} of {SOCKETS} show the top 10"
    assert not watchers.closed, watchers.closed
    took = marks["all_shown"] - marks["reconnected"]
    assert took < 2, f"the current top 10 reached every socket {took:.2f} s after the reconnect"
    print(
        f"\npub/sub dropped: hubs subscribed again {marks['reconnected'] - marks['last_kill']:.2f} s after the last "
        f"kill; all {SOCKETS} sockets showed the current top 10 {took:.2f} s after that"
    )
