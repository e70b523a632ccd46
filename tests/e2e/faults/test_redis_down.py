"""Fault 3: Redis stops for 30 s while players score, then comes back empty."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.helpers.faults.checker import check_all, sql_boards, sql_order
from tests.helpers.faults.load import Seen, completion_body, issue_actions, run_load, seed_players

pytestmark = [pytest.mark.faults, pytest.mark.production_shape, pytest.mark.timeout(300)]
OUTAGE_S = 30


async def poll(client: httpx.AsyncClient, url: str, until_status: int, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if (await client.get(url)).status_code == until_status:
            return time.monotonic() - started
        await asyncio.sleep(0.1)
    raise AssertionError(f"{url} did not answer {until_status} within {timeout} s")


def test_it_refuses_completions_with_503_and_reads_sql_while_redis_is_down(stores, launch):
    server = launch()
    players = seed_players(stores.env(), 20)
    seen = Seen()
    marks: dict[str, float] = {}
    reads: list[tuple[int, list]] = []
    held: list[tuple[dict, dict]] = []  # (player's headers, issued action) completed during the outage
    refused: list[httpx.Response] = []
    pages: list[httpx.Response] = []

    async def scenario() -> None:
        load = asyncio.create_task(
            run_load([server.http], players, seen, seconds=3 + OUTAGE_S + 3, per_player=100)
        )
        async with httpx.AsyncClient(timeout=10) as client:
            held.extend(await issue_actions(client, server.http, players[:10]))
            await asyncio.sleep(3)
            await asyncio.to_thread(stores.redis_server.stop)
            marks["down"] = time.monotonic()
            marks["not_ready_s"] = await poll(client, f"{server.http}/readyz", 503, 5)
            # Beside the API: readiness, the live page and the SSE stream (a 500 each, before).
            pages.extend(
                await asyncio.gather(
                    client.get(f"{server.http}/readyz"),
                    client.get(f"{server.http}/"),
                    client.get(f"{server.http}/?board=global"),
                    client.get(f"{server.http}/api/v1/leaderboard/stream"),
                )
            )
            refused.extend(
                await asyncio.gather(
                    *(
                        client.post(
                            f"{server.http}/api/v1/actions/complete",
                            json=completion_body(issued),
                            headers=headers,
                        )
                        for headers, issued in held
                    )
                )
            )
            while time.monotonic() - marks["down"] < OUTAGE_S:
                answer = await client.get(f"{server.http}/api/v1/leaderboard", params={"limit": 100})
                body = answer.json()
                reads.append(
                    (
                        answer.status_code,
                        [(e["userId"], e["score"]) for e in body["data"]["leaderboard"]]
                        if answer.status_code == 200
                        else body,
                    )
                )
                if len(reads) == 3:
                    marks["sql"] = sql_order(sql_boards(stores.database_url)["all"])  # nobody scores now
                await asyncio.sleep(1)
            marks["starting"] = time.monotonic()  # it may answer before start() returns
            await asyncio.to_thread(stores.redis_server.start)
            marks["up"] = time.monotonic()
            marks["ready_s"] = await poll(client, f"{server.http}/readyz", 200, 5)
        await load

    asyncio.run(scenario())

    assert [r.status_code for r in refused] == [503] * len(held)
    assert all(r.headers["Retry-After"] == "1" for r in refused)
    ready, page, global_page, stream = pages
    assert ready.status_code == 503 and ready.headers["Retry-After"] == "1"
    assert page.status_code == 200 and "<html" in page.text.lower(), page.text[:200]  # its top 10 from SQL
    assert global_page.status_code == 200
    assert stream.status_code == 503 and stream.headers["Retry-After"] == "1", stream.text[:200]
    assert stream.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert {r.json()["error"]["code"] for r in refused} == {"SERVICE_UNAVAILABLE"}
    during = seen.statuses(since=marks["down"], until=marks["starting"], kinds=("request", "complete"))
    # Sent while it was down: 503, unless answered once it was starting again.
    late = {
        (s, answered >= marks["starting"])
        for sent, _, s, answered in seen.timeline
        if marks["down"] <= sent < marks["starting"] and s != 503
    }
    assert during[503] > 10 and late <= {(200, True), (201, True)}, (during, late)
    assert all(
        body["success"] is False and body["error"]["code"] == "SERVICE_UNAVAILABLE"
        for status, body in seen.bodies
        if status == 503
    ), seen.bodies[:3]
    assert not [b for s, b in seen.bodies if s >= 500 and s != 503], "never a 500"
    assert all(status == 200 for status, _ in reads), reads[:2]
    assert reads[3][1] == marks["sql"], "reads during the outage come from SQL"
    after = seen.statuses(since=marks["up"] + 1)
    assert after[200] > 5, after
    for headers, issued in held:  # the refused tokens were given back: they score now
        again = httpx.post(
            f"{server.http}/api/v1/actions/complete",
            json=completion_body(issued),
            headers=headers,
            timeout=10,
        )
        assert again.status_code == 200, again.text
        seen.record(issued["actionId"], again, time.monotonic())
    settle = 10 - (time.monotonic() - marks["up"])
    report = check_all(stores.database_url, stores.redis_url, server.http, seen, settle=settle)
    print(
        f"\nRedis down {OUTAGE_S} s: /readyz 503 after {marks['not_ready_s']:.2f} s, 200 again "
        f"{marks['ready_s']:.2f} s after its return; {during[503] + len(refused)} writes refused with 503; ranking equal "
        f"to SQL {time.monotonic() - marks['up']:.2f} s after the return ({report.ok} scored in all)"
    )
