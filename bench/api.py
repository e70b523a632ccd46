"""Thin async client of the public API (docs/api.md) and the statistics the bench reports."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import math
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

API = "/api/v1"
ACTION_TYPE = "COMPLETE_LEVEL"  # repeatable, 100 points, minDurationMs 1000
MIN_WAIT_S = 1.05  # the server measures request -> completion; the type's minimum is 1000 ms


class ApiError(RuntimeError):
    def __init__(self, response: httpx.Response) -> None:
        self.status = response.status_code
        try:
            self.code = response.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            self.code = "?"
        super().__init__(f"{response.request.method} {response.request.url.path}: {self.status} {self.code}")


@dataclass
class Player:
    base: str  # the process that registered it
    id: str
    username: str
    token: str


@dataclass
class Action:
    player: Player
    action_id: str
    token: str
    proof_key: str
    expected_score: int
    requested_at: float  # perf_counter() when the request was sent


@dataclass
class Timed:
    """Latencies in ms and outcomes by status code of one kind of request."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)

    def add(self, started: float, status: int | str) -> None:
        self.latencies.append((time.perf_counter() - started) * 1000)
        self.statuses[str(status)] += 1


def client(limit: int = 64) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=limit, max_keepalive_connections=limit)
    return httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(30.0), trust_env=False)


def data_of(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 300:
        raise ApiError(response)
    return response.json()["data"]


def checksum(proof_key: str, action_id: str, completion_ms: int) -> str:
    message = f"{action_id}:{completion_ms}".encode()
    return hmac.new(bytes.fromhex(proof_key), message, hashlib.sha256).hexdigest()


async def register(http: httpx.AsyncClient, base: str, prefix: str, index: int) -> Player:
    username = f"{prefix}{index:04d}"
    body = {
        "username": username,
        "email": f"{username}@bench.invalid",
        "password": f"Bench-{secrets.token_hex(8)}!",
    }
    data = data_of(await http.post(f"{base}{API}/auth/register", json=body))
    return Player(base=base, id=data["user"]["id"], username=username, token=data["token"])


async def register_many(
    http: httpx.AsyncClient, bases: list[str], prefix: str, count: int, concurrency: int = 8
) -> list[Player]:
    """Registration hashes with Argon2 (~0.1 s of CPU each): a few at a time, both processes."""
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> Player:
        async with gate:
            return await register(http, bases[index % len(bases)], prefix, index)

    return list(await asyncio.gather(*(one(i) for i in range(count))))


async def action_points(http: httpx.AsyncClient, base: str) -> int:
    types = data_of(await http.get(f"{base}{API}/actions/types"))["actionTypes"]
    return next(int(t["points"]) for t in types if t["actionType"] == ACTION_TYPE)


def bearer(player: Player) -> dict[str, str]:
    return {"Authorization": f"Bearer {player.token}"}


async def request_action(http: httpx.AsyncClient, base: str, player: Player) -> Action:
    response = await http.post(
        f"{base}{API}/actions/request", json={"actionType": ACTION_TYPE}, headers=bearer(player)
    )
    data = data_of(response)
    # The server times the action from issuing the token, after the request was sent: an
    # honest client counts from when it got the token (as bench/flows.py does).
    return Action(
        player=player,
        action_id=data["actionId"],
        token=data["actionToken"],
        proof_key=data["proofKey"],
        expected_score=int(data["expectedScore"]),
        requested_at=time.perf_counter(),
    )


def completion_body(action: Action) -> dict[str, Any]:
    """A correct proof: a completion time between 1000 ms and what has really elapsed."""
    elapsed_ms = int((time.perf_counter() - action.requested_at) * 1000)
    completion_ms = max(1000, min(1000 + secrets.randbelow(100), elapsed_ms))
    proof = {
        "completionTime": completion_ms,
        "checksum": checksum(action.proof_key, action.action_id, completion_ms),
    }
    return {"actionToken": action.token, "actionId": action.action_id, "proof": proof}


async def complete_action(http: httpx.AsyncClient, base: str, action: Action) -> httpx.Response:
    return await http.post(
        f"{base}{API}/actions/complete", json=completion_body(action), headers=bearer(action.player)
    )


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def summary(values: list[float]) -> dict[str, float | int | None]:
    """count, min, p50, p99, max, rounded to 0.1 ms."""

    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 1)

    return {
        "count": len(values),
        "min": rounded(min(values, default=None)),
        "p50": rounded(percentile(values, 50)),
        "p99": rounded(percentile(values, 99)),
        "max": rounded(max(values, default=None)),
    }
