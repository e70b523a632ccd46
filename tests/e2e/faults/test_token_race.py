"""Fault 1: 200 clients send one action token to two server processes at once."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import httpx
import pytest

from .checker import check_all
from .load import Seen, completion_body, seed_players

pytestmark = [pytest.mark.faults, pytest.mark.production_shape, pytest.mark.timeout(300)]
CLIENTS = 200


async def race(bases: list[str], headers: dict, body: dict) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=CLIENTS + 10)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        # Open every connection first, so the completions leave together.
        await asyncio.gather(*(client.get(f"{bases[i % 2]}/healthz") for i in range(CLIENTS)))
        start = asyncio.Event()

        async def one(i: int) -> httpx.Response:
            await start.wait()
            return await client.post(f"{bases[i % 2]}/api/v1/actions/complete", json=body, headers=headers)

        tasks = [asyncio.create_task(one(i)) for i in range(CLIENTS)]
        await asyncio.sleep(0.2)
        start.set()
        return await asyncio.gather(*tasks)


def test_it_gives_one_200_and_199_409_for_one_token_raced_on_two_processes(stores, launch):
    # The contract's default completion limits (1 per second): losers must still be 409, not 429.
    defaults = {name: "" for name in ("RATE_LIMIT_ACTIONS_PER_SECOND", "RATE_LIMIT_ACTIONS_PER_MINUTE")}
    a = launch(**defaults)
    b = launch(**defaults)
    player = seed_players(stores.env(), 1)[0]
    issued = httpx.post(f"{a.http}/api/v1/actions/request", json={"actionType": "COMPLETE_LEVEL"},
                        headers=player.headers, timeout=10)
    assert issued.status_code == 201, issued.text
    issued = issued.json()["data"]
    time.sleep(1.1)  # the level takes longer than its minimum duration

    responses = asyncio.run(race([a.http, b.http], player.headers, completion_body(issued)))

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 409: CLIENTS - 1}, statuses
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"TOKEN_ALREADY_USED"}
    winner = next(r for r in responses if r.status_code == 200).json()["data"]
    assert winner["newScore"] == 100
    seen = Seen()
    seen.record(issued["actionId"], next(r for r in responses if r.status_code == 200), time.monotonic())
    report = check_all(stores.database_url, stores.redis_url, a.http, seen)
    assert report.ledger_rows == 1
