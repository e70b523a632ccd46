"""Game clients for the fault tests: real HTTP against real servers, every outcome kept.

``Seen`` is what the clients saw: for each action id, the status of its completion (or
``"error"`` when the connection failed and the client cannot know), and the ``newScore`` of
each 200. The checker compares it with the database.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import random
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[3]
UNKNOWN = "error"  # the connection failed: the client cannot know whether it scored
MIN_MS = 1000  # COMPLETE_LEVEL's minDurationMs


@dataclass
class Player:
    id: str
    username: str
    token: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def seed_players(
    env: dict[str, str],
    count: int,
    *,
    prefix: str = "p",
    tokens: bool = True,
    ledger: bool = False,
    timeout: float = 600,
) -> list[Player]:
    command = [sys.executable, "-m", "tests.helpers.faults.seed", "--players", str(count), "--prefix", prefix]
    command += ["--tokens"] if tokens else []
    command += ["--ledger"] if ledger else []
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return [Player(**p) for p in json.loads(done.stdout)["players"]]


def proof(issued: dict, completion_time: int) -> dict:
    key = bytes.fromhex(issued["proofKey"])
    message = f"{issued['actionId']}:{completion_time}".encode()
    return {"completionTime": completion_time, "checksum": hmac.new(key, message, hashlib.sha256).hexdigest()}


def completion_body(issued: dict) -> dict:
    return {
        "actionToken": issued["actionToken"],
        "actionId": issued["actionId"],
        "proof": proof(issued, MIN_MS + random.randrange(0, 40)),
    }


@dataclass
class Seen:
    outcomes: dict[str, int | str] = field(default_factory=dict)  # actionId -> status or UNKNOWN
    new_scores: dict[str, int] = field(default_factory=dict)  # actionId -> newScore of the 200
    bodies: list[tuple[int, dict]] = field(default_factory=list)  # non-200 answers (status, body)
    requests: Counter = field(default_factory=Counter)  # /actions/request statuses
    # (monotonic time the request was sent, kind, status, monotonic time of the answer)
    timeline: list[tuple[float, str, int | str, float]] = field(default_factory=list)

    def record(self, action_id: str, response: httpx.Response | None, sent: float) -> None:
        now = time.monotonic()
        if response is None:
            self.outcomes[action_id] = UNKNOWN
            self.timeline.append((sent, "complete", UNKNOWN, now))
            return
        self.outcomes[action_id] = response.status_code
        self.timeline.append((sent, "complete", response.status_code, now))
        body = _json(response)
        if response.status_code == 200:
            self.new_scores[action_id] = body["data"]["newScore"]
        else:
            self.bodies.append((response.status_code, body))

    def statuses(
        self, since: float = 0.0, until: float = float("inf"), kinds: tuple[str, ...] = ("complete",)
    ) -> Counter:
        """Statuses of the completions (or ``kinds``) sent between ``since`` and ``until``."""
        return Counter(s for t, kind, s, _ in self.timeline if kind in kinds and since <= t < until)

    def ok(self) -> int:
        return sum(1 for s in self.outcomes.values() if s == 200)


async def issue_actions(
    client: httpx.AsyncClient, base: str, players: list[Player]
) -> list[tuple[dict, dict]]:
    """One issued COMPLETE_LEVEL action per player: (the player's headers, the issued action)."""
    issued = []
    for player in players:
        response = await client.post(
            f"{base}/api/v1/actions/request", json={"actionType": "COMPLETE_LEVEL"}, headers=player.headers
        )
        issued.append((player.headers, response.json()["data"]))
    return issued


def _json(response: httpx.Response) -> dict:
    try:
        return response.json()
    except ValueError:
        return {"raw": response.text[:500]}


async def play(
    client: httpx.AsyncClient,
    bases: list[str],
    player: Player,
    seen: Seen,
    *,
    deadline: float,
    max_completions: int,
    alive=lambda base: True,
) -> None:
    """One client's loop: request an action, play it a little over a second, complete it.
    Bounded by ``max_completions`` and the monotonic ``deadline``; errors are recorded, never raised."""
    turn = itertools.cycle(bases)
    done = 0
    while done < max_completions and time.monotonic() < deadline:
        base = next(turn)
        if not alive(base):
            continue
        sent = time.monotonic()
        try:
            issued = await client.post(
                f"{base}/api/v1/actions/request",
                json={"actionType": "COMPLETE_LEVEL"},
                headers=player.headers,
            )
        except httpx.HTTPError:
            seen.requests["error"] += 1
            await asyncio.sleep(0.2)
            continue
        seen.requests[issued.status_code] += 1
        seen.timeline.append((sent, "request", issued.status_code, time.monotonic()))
        if issued.status_code != 201:
            if issued.status_code >= 500:
                seen.bodies.append((issued.status_code, _json(issued)))
            await asyncio.sleep(0.2)
            continue
        data = issued.json()["data"]
        await asyncio.sleep(MIN_MS / 1000 + 0.06)
        if not alive(base):  # its server died meanwhile: the client tries another one
            base = next((b for b in bases if alive(b)), base)
        sent = time.monotonic()
        try:
            response = await client.post(
                f"{base}/api/v1/actions/complete", json=completion_body(data), headers=player.headers
            )
        except httpx.HTTPError:
            response = None
        seen.record(data["actionId"], response, sent)
        done += 1


async def run_load(
    bases: list[str],
    players: list[Player],
    seen: Seen,
    *,
    seconds: float,
    per_player: int,
    lanes: int = 1,
    alive=lambda base: True,
) -> None:
    """Every player plays ``lanes`` concurrent loops until ``seconds`` pass or each loop
    made ``per_player`` completions."""
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=len(players) * lanes + 10)
    # A request may wait DB_POOL_TIMEOUT (10 s) for a connection, and then queue for a thread.
    async with httpx.AsyncClient(timeout=httpx.Timeout(40.0), limits=limits) as client:
        await asyncio.gather(
            *(
                play(
                    client,
                    bases[i % len(bases) :] + bases[: i % len(bases)],
                    player,
                    seen,
                    deadline=deadline,
                    max_completions=per_player,
                    alive=alive,
                )
                for i, player in enumerate(players)
                for _ in range(lanes)
            )
        )
