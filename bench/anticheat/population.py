"""Drive a population through the public HTTP API and measure who gets flagged.

Every player registers, then plays COMPLETE_LEVEL over and over: request an action on
one of the servers (at random), wait its family's duration, complete it on one of the
servers with a valid proof (checksum from the proofKey) and its family's claim. Every
player stays inside the per-user limits on its own (at most ``per_minute`` completions
in any 60 s, 1.1 s apart, ``per_hour`` in any hour); a 429 that comes anyway is waited
out and counted. A banned player (403) stops. Afterwards a moderator account reads
``GET /admin/flags`` and each flagged player's ``/admin/users/{id}/history`` to place
the first flag on the player's n-th completion.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import random
import time
import uuid
from collections import deque
from dataclasses import dataclass, field

import httpx

from .families import Family

ACTION_TYPE = "COMPLETE_LEVEL"
LEAD_S = 1.5  # a beat bot asks for its action this much before it means to complete it


@dataclass
class Outcome:
    family: Family
    user_id: str = ""
    action_ids: list[str] = field(default_factory=list)  # scored completions, in order
    statuses: dict[str, int] = field(default_factory=dict)
    banned: bool = False
    first_flag_at: int | None = None  # 1-based index of the completion that got the first flag
    reasons: set[str] = field(default_factory=set)

    def count(self, key: str) -> None:
        self.statuses[key] = self.statuses.get(key, 0) + 1


def checksum(proof_key: str, action_id: str, completion_time: int) -> str:
    return hmac.new(
        bytes.fromhex(proof_key), f"{action_id}:{completion_time}".encode(), hashlib.sha256
    ).hexdigest()


class Pacer:
    """The player's own respect of the limits: may a completion be sent at ``at``?"""

    def __init__(self, per_minute: int, per_hour: int) -> None:
        self.per_minute, self.per_hour = per_minute, per_hour
        self.sent: deque[float] = deque()

    def wait_for(self, at: float) -> float:
        """Seconds to delay a completion planned at ``at`` so that it fits every window."""
        minute = [t for t in self.sent if t > at - 60]
        hour = [t for t in self.sent if t > at - 3600]
        delay = 0.0
        if self.sent:
            delay = max(delay, self.sent[-1] + 1.1 - at)
        if len(minute) >= self.per_minute:
            delay = max(delay, minute[-self.per_minute] + 60.5 - at)
        if len(hour) >= self.per_hour:
            delay = max(delay, hour[-self.per_hour] + 3600.5 - at)
        return max(0.0, delay)

    def record(self, at: float) -> None:
        self.sent.append(at)


async def register(
    api: httpx.AsyncClient, base: str, outcome: Outcome, tag: str, gate: asyncio.Semaphore
) -> str:
    """A new account (a few at a time: password hashing is deliberately slow)."""
    name = f"p{tag}{uuid.uuid4().hex[:10]}"
    body = {"username": name, "email": f"{name}@example.com", "password": f"pw-{uuid.uuid4().hex}"}
    async with gate:
        for attempt in range(6):
            response = await api.post(f"{base}/api/v1/auth/register", json=body)
            if response.status_code not in (429, 503):
                break
            await asyncio.sleep(1 + attempt)
    response.raise_for_status()
    data = response.json()["data"]
    outcome.user_id = data["user"]["id"]
    return data["token"]


async def play(
    api: httpx.AsyncClient,
    bases: list[str],
    outcome: Outcome,
    token: str,
    *,
    actions: int,
    start_delay: float,
    deadline: float,
    per_minute: int,
    per_hour: int,
) -> None:
    family = outcome.family
    headers = {"Authorization": f"Bearer {token}"}
    pacer = Pacer(per_minute, per_hour)
    await asyncio.sleep(start_delay)
    next_beat = time.monotonic() + (family.period_s or 0) + 3
    while len(outcome.action_ids) < actions and time.monotonic() < deadline and not outcome.banned:
        duration = family.duration_ms()
        beat = None
        if family.period_s:  # request a little early, then complete exactly on the beat
            beat = next_beat
            await asyncio.sleep(max(0.0, beat - duration / 1000 - LEAD_S - time.monotonic()))
            next_beat += family.period_s
        else:
            await asyncio.sleep(family.gap_s())
            await asyncio.sleep(pacer.wait_for(time.monotonic() + duration / 1000))
        await one_action(api, bases, headers, outcome, duration, pacer, complete_at=beat)


async def one_action(
    api: httpx.AsyncClient,
    bases: list[str],
    headers: dict,
    outcome: Outcome,
    duration: float,
    pacer: Pacer,
    complete_at: float | None = None,
) -> None:
    family, rng = outcome.family, outcome.family.rng
    issued = await api.post(
        f"{rng.choice(bases)}/api/v1/actions/request", json={"actionType": ACTION_TYPE}, headers=headers
    )
    received = time.monotonic()
    if issued.status_code != 201:
        await refused(issued, outcome, "request")
        return
    data = issued.json()["data"]
    send_at = max(received + duration / 1000, complete_at or 0.0)
    await asyncio.sleep(max(0.0, send_at - time.monotonic()))
    measured = (time.monotonic() - received) * 1000
    claim = family.claim(measured, duration)
    body = {
        "actionToken": data["actionToken"],
        "actionId": data["actionId"],
        "proof": {"completionTime": claim, "checksum": checksum(data["proofKey"], data["actionId"], claim)},
    }
    pacer.record(time.monotonic())
    done = await api.post(f"{rng.choice(bases)}/api/v1/actions/complete", json=body, headers=headers)
    if done.status_code == 200:
        outcome.action_ids.append(data["actionId"])
        outcome.count("200")
    else:
        await refused(done, outcome, "complete")


async def refused(response: httpx.Response, outcome: Outcome, step: str) -> None:
    code = response.json().get("error", {}).get("code", str(response.status_code))
    outcome.count(f"{step} {response.status_code} {code}")
    if code == "ACCOUNT_BANNED":
        outcome.banned = True
    elif response.status_code == 429:
        await asyncio.sleep(float(response.headers.get("Retry-After", "1")))


async def read_flags(api: httpx.AsyncClient, base: str, admin_token: str, outcomes: list[Outcome]) -> None:
    """Place each player's first flag on their n-th scored completion, through the admin API."""
    headers = {"Authorization": f"Bearer {admin_token}"}
    flags = (await api.get(f"{base}/api/v1/admin/flags", params={"status": "open"}, headers=headers)).json()
    by_user: dict[str, list[dict]] = {}
    for flag in flags["data"]["flags"]:
        by_user.setdefault(flag["userId"], []).append(flag)
    for outcome in outcomes:
        mine = by_user.get(outcome.user_id)
        if not mine:
            continue
        outcome.reasons = {flag["reason"] for flag in mine}
        history = (
            await api.get(f"{base}/api/v1/admin/users/{outcome.user_id}/history", headers=headers)
        ).json()
        action_of = {row["id"]: row["actionId"] for row in history["data"]["history"]}
        positions = [
            outcome.action_ids.index(action_of[f["scoreHistoryId"]]) + 1
            for f in mine
            if action_of.get(f["scoreHistoryId"]) in outcome.action_ids
        ]
        outcome.first_flag_at = min(positions) if positions else 0


async def run_population(
    families: list[Family],
    bases: list[str],
    admin_token: str,
    *,
    bot_actions: int,
    human_actions: int,
    max_seconds: float,
    per_minute: int = 9,
    per_hour: int = 95,
    spread_start_s: float = 20.0,
) -> list[Outcome]:
    outcomes = [Outcome(family) for family in families]
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(timeout=30, limits=limits) as api:
        gate = asyncio.Semaphore(4)
        tokens = await asyncio.gather(
            *(
                register(api, bases[i % len(bases)], outcome, "b" if outcome.family.bot else "h", gate)
                for i, outcome in enumerate(outcomes)
            )
        )
        deadline = time.monotonic() + max_seconds
        await asyncio.gather(
            *(
                play(
                    api,
                    bases,
                    outcome,
                    token,
                    actions=bot_actions if outcome.family.bot else human_actions,
                    start_delay=random.uniform(0, spread_start_s),
                    deadline=deadline,
                    per_minute=per_minute,
                    per_hour=per_hour,
                )
                for outcome, token in zip(outcomes, tokens, strict=True)
            )
        )
        await read_flags(api, bases[0], admin_token, outcomes)
    return outcomes
