"""Fault 2: ``kill -9`` of one of two server processes while players score on both."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.helpers.faults.checker import check_all
from tests.helpers.faults.load import UNKNOWN, Seen, run_load, seed_players

pytestmark = [pytest.mark.faults, pytest.mark.production_shape, pytest.mark.timeout(300)]


def test_it_loses_no_committed_score_when_a_process_is_killed_under_load(stores, launch):
    a, b = launch(), launch()
    players = seed_players(stores.env(), 30)
    seen = Seen()
    dead: set[str] = set()

    async def scenario() -> float:
        load = asyncio.create_task(
            run_load(
                [a.http, b.http],
                players,
                seen,
                seconds=9,
                per_player=8,
                lanes=2,
                alive=lambda base: base not in dead,
            )
        )
        await asyncio.sleep(3.5)
        a.process.kill()  # SIGKILL: no clean shutdown, requests in flight die with it
        dead.add(a.http)
        killed_at = time.monotonic()
        await load
        return killed_at

    killed_at = asyncio.run(scenario())
    a.process.wait(timeout=10)

    before, after = seen.statuses(until=killed_at), seen.statuses(since=killed_at + 1.5)
    assert before[200] > 20, before
    assert after[200] > 20 and set(after) == {200}, f"the survivor must keep answering: {after}"
    report = check_all(stores.database_url, stores.redis_url, b.http, seen)
    print(
        f"\nkill -9: {seen.ok()} scored, {sum(1 for s in seen.outcomes.values() if s == UNKNOWN)} "
        f"unknown (in flight on the killed process), ranking settled in {report.ranking_settled_s:.2f} s"
    )
