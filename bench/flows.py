"""Full flows through the public API: POST /actions/request, wait the type's minimum, POST /actions/complete.

- ``max_rate``: ``concurrency`` flows in flight at all times for ``seconds`` (closed loop);
  the completed flows per second is the maximum the stack sustains.
- ``at_rate``: a new flow every ``1 / rate`` s (open loop) for ``seconds``; latencies of
  both requests, measured from when the request was due.

A player is used for at most ``MAX_FLOWS_PER_PLAYER`` flows, at least a second apart (the
anti-cheat near-minimum detector flags a player after six completions near the minimum
duration; the per-player limit is one completion a second).
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import hmac
import json
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field

from . import loadgen
from .players import Player

ACTION_TYPE = "COMPLETE_LEVEL"  # repeatable, 100 points, minDurationMs 1000
MIN_WAIT_S = 1.02
MAX_FLOWS_PER_PLAYER = 5


@dataclass
class FlowStats:
    request_ms: list[float] = field(default_factory=list)
    complete_ms: list[float] = field(default_factory=list)
    complete_at: list[float] = field(default_factory=list)  # s from the phase's start, per complete_ms
    phase_start: float = field(default_factory=time.perf_counter)
    statuses: Counter[str] = field(default_factory=Counter)
    completed: int = 0
    scored: dict[str, int] = field(default_factory=dict)  # userId -> newScore (last answer)
    wall: float = 0.0
    started: int = 0

    def describe(self) -> dict[str, object]:
        def pct(values: list[float]) -> dict[str, float | None]:
            return {
                "p50": loadgen.percentile(values, 50),
                "p95": loadgen.percentile(values, 95),
                "p99": loadgen.percentile(values, 99),
            }

        return {
            "started": self.started,
            "completed": self.completed,
            "rate": round(self.completed / self.wall, 1) if self.wall else None,
            "request": pct(self.request_ms),
            "complete": pct(self.complete_ms),
            "statuses": dict(self.statuses),
            "errors": self.started - self.completed + self.statuses.get("no idle player", 0),
            "completeBySecond": self.complete_by_second(),
        }

    def complete_by_second(self) -> list[dict[str, float | int | None]]:
        """Completions by the second of the phase they were sent in: count, p50, p95, max (ms)."""
        seconds: dict[int, list[float]] = {}
        for at, ms in zip(self.complete_at, self.complete_ms, strict=True):
            seconds.setdefault(int(at), []).append(ms)
        return [
            {
                "second": second,
                "n": len(values),
                "p50": loadgen.percentile(values, 50),
                "p95": loadgen.percentile(values, 95),
                "max": round(max(values), 1),
            }
            for second, values in sorted(seconds.items())
        ]


class Players:
    """Idle players, least used first; a player comes back a second after its completion."""

    def __init__(self, players: list[Player]) -> None:
        self.idle: collections.deque[Player] = collections.deque(players)
        self.uses: Counter[str] = Counter()
        self.available = asyncio.Condition()

    async def take(self, deadline: float) -> Player | None:
        async with self.available:
            while not self.idle:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    return None
                try:
                    await asyncio.wait_for(self.available.wait(), remaining)
                except TimeoutError:
                    return None
            player = self.idle.popleft()
            self.uses[player.id] += 1
            return player

    async def give_back(self, player: Player) -> None:
        await asyncio.sleep(1.0)
        if self.uses[player.id] < MAX_FLOWS_PER_PLAYER:
            async with self.available:
                self.idle.append(player)
                self.available.notify()


class Pool:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port, self.idle = host, port, []

    async def exchange(self, request: bytes, timeout: float = 30.0) -> tuple[int, bytes]:
        conn = self.idle.pop() if self.idle else await loadgen.Connection.open(self.host, self.port)
        try:
            answer = await asyncio.wait_for(conn.exchange(request), timeout)
        except BaseException:
            conn.close()
            raise
        if conn.reusable:
            self.idle.append(conn)
        else:
            conn.close()
        return answer

    def close(self) -> None:
        for conn in self.idle:
            conn.close()


def _completion(data: dict, elapsed_ms: int) -> bytes:
    completion_ms = max(1000, min(1000 + secrets.randbelow(50), elapsed_ms))
    digest = hmac.new(
        bytes.fromhex(data["proofKey"]), f"{data['actionId']}:{completion_ms}".encode(), hashlib.sha256
    ).hexdigest()
    return json.dumps(
        {
            "actionToken": data["actionToken"],
            "actionId": data["actionId"],
            "proof": {"completionTime": completion_ms, "checksum": digest},
        }
    ).encode()


async def one_flow(
    pool: Pool, hostport: str, player: Player, stats: FlowStats, due: float | None = None
) -> None:
    auth = {"Authorization": f"Bearer {player.token}"}
    stats.started += 1
    started = due or time.perf_counter()
    try:
        status, body = await pool.exchange(
            loadgen.post(
                "/api/v1/actions/request", hostport, json.dumps({"actionType": ACTION_TYPE}).encode(), auth
            )
        )
        stats.request_ms.append((time.perf_counter() - started) * 1000)
        if status != 201:
            stats.statuses[f"request {status}"] += 1
            return
        data = json.loads(body)["data"]
        # The server times the action from issuing the token, which is after the request was
        # sent: an honest client waits the minimum from when it got the token (docs/api.md, the proof).
        issued = time.perf_counter()
        await asyncio.sleep(MIN_WAIT_S)
        elapsed_ms = int((time.perf_counter() - issued) * 1000)
        begin = time.perf_counter()
        status, body = await pool.exchange(
            loadgen.post("/api/v1/actions/complete", hostport, _completion(data, elapsed_ms), auth)
        )
        stats.complete_ms.append((time.perf_counter() - begin) * 1000)
        stats.complete_at.append(begin - stats.phase_start)
        stats.statuses[f"complete {status}"] += 1
        if status == 200:
            stats.completed += 1
            stats.scored[player.id] = json.loads(body)["data"]["newScore"]
    except (OSError, TimeoutError, ValueError, KeyError, asyncio.IncompleteReadError) as error:
        stats.statuses[type(error).__name__] += 1


async def max_rate(host: str, port: int, players: Players, *, concurrency: int, seconds: float) -> FlowStats:
    stats, pool = FlowStats(), Pool(host, port)
    hostport = f"{host}:{port}"
    deadline = time.perf_counter() + seconds
    background: set[asyncio.Task] = set()

    async def loop(index: int) -> None:
        # Starts spread over one flow's wait: started together, the loops would stay in step
        # and measure how the stack absorbs bursts of ``concurrency`` requests, not its rate.
        await asyncio.sleep(index * MIN_WAIT_S / concurrency)
        while time.perf_counter() < deadline:
            player = await players.take(deadline)
            if player is None:
                return
            await one_flow(pool, hostport, player, stats)
            task = asyncio.create_task(players.give_back(player))
            background.add(task)
            task.add_done_callback(background.discard)

    started = time.perf_counter()
    await asyncio.gather(*(loop(index) for index in range(concurrency)))
    stats.wall = time.perf_counter() - started
    await asyncio.gather(*background)
    pool.close()
    return stats


async def at_rate(host: str, port: int, players: Players, *, rate: float, seconds: float) -> FlowStats:
    stats, pool = FlowStats(), Pool(host, port)
    hostport = f"{host}:{port}"
    started = time.perf_counter()
    deadline = started + seconds
    tasks: list[asyncio.Task] = []

    async def flow(due: float) -> None:
        player = await players.take(due + 10.0)
        if player is None:
            stats.statuses["no idle player"] += 1
            return
        await one_flow(pool, hostport, player, stats, due=due)
        await players.give_back(player)

    for index in range(int(rate * seconds)):
        due = started + index / rate
        if due > deadline:
            break
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(flow(due)))
    await asyncio.gather(*tasks)
    stats.wall = max(seconds, 1e-9)
    pool.close()
    return stats
