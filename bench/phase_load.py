"""Phase 2, completion throughput (and a check that nothing was lost); phase 3, leaderboard reads."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from . import api
from .servers import Daphne


async def _gated(count: int, concurrency: int, job: Any) -> list[Any]:
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> Any:
        async with gate:
            return await job(index)

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def _request_all(http: httpx.AsyncClient, bases: list[str], players: list[api.Player],
                       timed: api.Timed) -> list[api.Action | None]:
    async def one(index: int) -> api.Action | None:
        started = time.perf_counter()
        try:
            action = await api.request_action(http, bases[index % 2], players[index])
        except api.ApiError as error:
            timed.add(started, error.status)
            return None
        timed.add(started, 201)
        return action

    return await _gated(len(players), 32, one)


async def _complete_all(http: httpx.AsyncClient, bases: list[str], actions: list[api.Action],
                        timed: api.Timed) -> dict[str, int]:
    """Every completion at once (the client's pool bounds the connections); {userId: increment}."""
    scored: dict[str, int] = {}

    async def one(index: int, action: api.Action) -> None:
        started = time.perf_counter()
        try:
            response = await api.complete_action(http, bases[index % 2], action)
        except httpx.HTTPError as error:
            timed.add(started, type(error).__name__)
            return
        timed.add(started, response.status_code)
        if response.status_code == 200:
            scored[action.player.id] = response.json()["data"]["scoreIncrement"]

    await asyncio.gather(*(one(i, a) for i, a in enumerate(actions)))
    return scored


async def _verify(http: httpx.AsyncClient, bases: list[str], expected: dict[str, int],
                  players: list[api.Player]) -> dict[str, Any]:
    """Scores read back through the API against what the completions answered."""
    board = api.data_of(await http.get(f"{bases[1]}{api.API}/leaderboard", params={"limit": 100}))
    board_wrong = sum(expected.get(e["userId"]) != e["score"] for e in board["leaderboard"])

    async def one(index: int) -> bool:
        player = players[index]
        data = api.data_of(await http.get(f"{bases[index % 2]}{api.API}/users/{player.id}/score"))
        return data["score"] == expected[player.id]

    right = sum(await _gated(len(players), 32, one))
    return {"leaderboardEntries": len(board["leaderboard"]), "leaderboardWrong": board_wrong,
            "totalPlayers": board["totalPlayers"], "expectedPlayers": len(expected),
            "userScoresRight": right, "userScoresChecked": len(players),
            "ok": board_wrong == 0 and right == len(players) and board["totalPlayers"] == len(expected)}


async def throughput(servers: list[Daphne], known: dict[str, int], *, players: int,
                     connections: int) -> dict[str, Any]:
    """``known``: {userId: score} of the players already registered (phase 1)."""
    bases = [s.http for s in servers]
    async with api.client(connections) as http:
        started = time.perf_counter()
        roster = await api.register_many(http, bases, "tp", players)
        registration_s = time.perf_counter() - started
        requests, completions = api.Timed(), api.Timed()
        actions = await _request_all(http, bases, roster, requests)
        ready = [a for a in actions if a is not None]
        latest = max((a.requested_at for a in ready), default=time.perf_counter())
        await asyncio.sleep(max(0.0, latest + api.MIN_WAIT_S - time.perf_counter()))
        started = time.perf_counter()
        scored = await _complete_all(http, bases, ready, completions)
        wall = time.perf_counter() - started
        expected = {**known, **{p.id: scored.get(p.id, 0) for p in roster}}
        verification = await _verify(http, bases, expected, roster)
    return {
        "players": players, "registrationSeconds": round(registration_s, 1),
        "registrationsPerSecond": round(players / registration_s, 1),
        "requestStatuses": dict(requests.statuses), "completionStatuses": dict(completions.statuses),
        "completed": len(scored), "wallSeconds": round(wall, 2),
        "completionsPerSecond": round(len(scored) / wall, 1) if wall else None,
        "completeLatency": api.summary(completions.latencies), "connections": connections,
        "verification": verification,
    }


async def reads(servers: list[Daphne], *, seconds: float, workers: int) -> dict[str, Any]:
    """``workers`` clients in a loop of GET /leaderboard, alternating between the processes."""
    timed = api.Timed()
    async with api.client(workers) as http:
        deadline = time.perf_counter() + seconds

        async def loop(index: int) -> None:
            url = f"{servers[index % 2].http}{api.API}/leaderboard"
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    response = await http.get(url)
                    timed.add(started, response.status_code)
                except httpx.HTTPError as error:
                    timed.add(started, type(error).__name__)

        started = time.perf_counter()
        await asyncio.gather(*(loop(i) for i in range(workers)))
        wall = time.perf_counter() - started
    ok = timed.statuses.get("200", 0)
    return {"workers": workers, "seconds": round(wall, 2), "requests": len(timed.latencies),
            "statuses": dict(timed.statuses), "requestsPerSecond": round(ok / wall, 1),
            "latency": api.summary(timed.latencies)}
