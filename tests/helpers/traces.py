"""Synthetic completion traces for the detector tests: human-like players and bot signatures.

A trace is what ``anticheat.detectors`` judges: the player's completions newest first,
each with the server-measured duration, the claimed one and the server's timestamp.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

from anticheat.baselines import Baseline
from anticheat.detectors import Finding, Trace, run_detectors

MIN_MS = 1000
START = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def row(
    i: int, at: datetime, server_ms: int, claimed_ms: int | None, action_type: str = "COMPLETE_LEVEL"
) -> dict:
    return {
        "id": i,
        "action_type": action_type,
        "increment": 100,
        "completion_time_ms": claimed_ms,
        "server_elapsed_ms": server_ms,
        "created_at": at,
    }


def replay(
    steps: list[tuple[float, int, int | None]], *, baseline: Baseline | None = None, history_size: int = 60
) -> Iterator[list[Finding]]:
    """Feed (gap seconds before the completion, server ms, claimed ms) one by one; yield each verdict."""
    history: list[dict] = []
    at = START
    for i, (gap_s, server_ms, claimed_ms) in enumerate(steps):
        at += timedelta(seconds=gap_s)
        history.insert(0, row(i, at, server_ms, claimed_ms))
        del history[history_size:]
        yield run_detectors(Trace("COMPLETE_LEVEL", MIN_MS, at, list(history), baseline))


def reasons(steps, **kwargs) -> set[str]:
    return {f.reason for findings in replay(steps, **kwargs) for f in findings}


def lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0, sigma))


def human(rng: random.Random, count: int = 40) -> list[tuple[float, int, int | None]]:
    """A human-like player: skewed durations well above the minimum, irregular gaps, pauses,
    an honest client (its claim is the server's measure less a small, varying network time)."""
    median_ms = MIN_MS * rng.uniform(1.5, 3.5)
    sigma = rng.uniform(0.3, 0.7)
    steps = []
    for _ in range(count):
        duration = lognormal(rng, median_ms, sigma)
        while duration < MIN_MS + 30:
            duration = lognormal(rng, median_ms, sigma)
        rtt = rng.uniform(2, 40)
        think = lognormal(rng, rng.uniform(3, 8), 0.6) + (rng.uniform(20, 120) if rng.random() < 0.08 else 0)
        gap = duration / 1000 + think
        if gap < 6.5:  # told to slow down (10 per minute), the player comes back a while later
            gap = 6.5 + rng.uniform(0, 5)
        steps.append((gap, round(duration + rtt), round(duration)))
    return steps


def bot(
    rng: random.Random,
    duration: Callable[[], float],
    *,
    period: float | None = None,
    claim: Callable[[float], int] | None = None,
    count: int = 30,
) -> list[tuple[float, int, int | None]]:
    steps = []
    for _ in range(count):
        d = duration()
        server = round(d + rng.uniform(2, 15))
        gap = period if period is not None else rng.uniform(6.5, 20)
        steps.append((gap, server, claim(d) if claim else round(d)))
    return steps
