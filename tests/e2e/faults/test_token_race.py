"""Fault 1: 200 clients send one action token to two server processes at once."""

from __future__ import annotations

import asyncio
import time
from collections import Counter

import httpx
import pytest

from tests.helpers.faults.checker import check_all
from tests.helpers.faults.load import Seen, completion_body, seed_players

pytestmark = [pytest.mark.faults, pytest.mark.production_shape, pytest.mark.timeout(300)]
CLIENTS = 200


async def race(bases: list[str], headers: dict, body: dict) -> list[httpx.Response]:
    """Each client on its own connection, opened beforehand (20 at a time: a burst of 200
    connects overflows daphne's listen backlog of 50, and the kernel resets some of them),
    so that the completions leave together."""
    clients = [httpx.AsyncClient(base_url=bases[i % 2], timeout=60) for i in range(CLIENTS)]
    try:
        gate = asyncio.Semaphore(20)

        async def warm(client: httpx.AsyncClient) -> None:
            async with gate:
                assert (await client.get("/healthz")).status_code == 200

        await asyncio.gather(*(warm(client) for client in clients))
        start = asyncio.Event()

        async def one(client: httpx.AsyncClient) -> httpx.Response:
            await start.wait()
            return await client.post("/api/v1/actions/complete", json=body, headers=headers)

        tasks = [asyncio.create_task(one(client)) for client in clients]
        await asyncio.sleep(0.2)
        start.set()
        return await asyncio.gather(*tasks)
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


def test_it_gives_one_200_and_199_409_for_one_token_raced_on_two_processes(stores, launch):
    # The contract's default completion limits (1 per second): losers must still be 409, not 429.
    defaults = {name: "" for name in ("RATE_LIMIT_ACTIONS_PER_SECOND", "RATE_LIMIT_ACTIONS_PER_MINUTE")}
    a = launch(**defaults)
    b = launch(**defaults)
    player = seed_players(stores.env(), 1)[0]
    issued = httpx.post(
        f"{a.http}/api/v1/actions/request",
        json={"actionType": "COMPLETE_LEVEL"},
        headers=player.headers,
        timeout=10,
    )
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
