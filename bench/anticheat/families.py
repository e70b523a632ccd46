"""Who plays: human-like players and scripted bots, each family's parameters drawn at
random within ranges for every player (the detectors must not fit one exact setting).

A family decides, per action, how long to wait between the request's answer and the
completion (``duration_ms``), what ``completionTime`` to claim given what its own clock
measured (``claim``), and how long to think before the next request (``gap_s``). A
``period_s`` makes it complete on a fixed clock instead (the request is timed so that
the completion lands on the beat).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

MIN_MS = 1000  # COMPLETE_LEVEL's minDurationMs, the type every player plays


def lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


@dataclass
class Family:
    name: str
    bot: bool
    rng: random.Random
    pace: float = 1.0  # multiplies thinking gaps and pauses (the CI version plays faster)
    params: dict = field(default_factory=dict)
    period_s: float | None = None

    def duration_ms(self) -> float:
        raise NotImplementedError

    def claim(self, measured_ms: float, duration_ms: float) -> int:  # noqa: ARG002 - an honest client
        return int(measured_ms)

    def gap_s(self) -> float:
        return self.pace * self.rng.uniform(0.5, 12.0)


class Human(Family):
    """Skewed (log-normal) durations well above the minimum, irregular thinking gaps,
    pauses now and then; an honest client that claims its own measure."""

    def __init__(self, rng: random.Random, *, fast: bool = False, pace: float = 1.0) -> None:
        factor = rng.uniform(1.4, 1.8) if fast else rng.uniform(1.8, 3.5)
        sigma = rng.uniform(0.35, 0.6) if fast else rng.uniform(0.3, 0.7)
        super().__init__(
            "human (fast)" if fast else "human",
            False,
            rng,
            pace,
            {"medianMs": MIN_MS * factor, "sigma": sigma, "thinkS": rng.uniform(2, 8)},
        )

    def duration_ms(self) -> float:
        while True:
            value = lognormal(self.rng, self.params["medianMs"], self.params["sigma"])
            if value >= MIN_MS + 30:  # nobody plays faster than the game allows
                return value

    def gap_s(self) -> float:
        pause = self.rng.uniform(20, 90) if self.rng.random() < 0.08 else 0.0
        return self.pace * (lognormal(self.rng, self.params["thinkS"], 0.6) + pause)


class Pinned(Family):
    """Completes just over the minimum, a little random margin, honest claims."""

    def __init__(self, rng: random.Random, pace: float = 1.0) -> None:
        super().__init__("bot: pinned near minimum", True, rng, pace, {"marginMs": rng.uniform(50, 240)})

    def duration_ms(self) -> float:
        return MIN_MS + self.rng.uniform(10, self.params["marginMs"])


class Metronome(Family):
    """One plausible duration every time (1.5-4 x the minimum), a few per cent of jitter,
    irregular gaps so that its rhythm looks human."""

    def __init__(self, rng: random.Random, pace: float = 1.0) -> None:
        super().__init__(
            "bot: fixed duration",
            True,
            rng,
            pace,
            {"targetMs": MIN_MS * rng.uniform(1.5, 4.0), "jitter": rng.uniform(0.0, 0.05)},
        )

    def duration_ms(self) -> float:
        jitter = self.params["jitter"]
        return self.params["targetMs"] * self.rng.uniform(1 - jitter, 1 + jitter)


class Clockwork(Family):
    """Human-like random durations, but completes on a fixed beat (every 7-15 s)."""

    def __init__(self, rng: random.Random, pace: float = 1.0) -> None:
        super().__init__(
            "bot: fixed rhythm",
            True,
            rng,
            pace,
            {"medianMs": MIN_MS * rng.uniform(1.5, 3.5), "sigma": rng.uniform(0.3, 0.6)},
        )
        self.period_s = max(5.0, pace * rng.uniform(7.0, 15.0))  # 9 beats a minute at most

    def duration_ms(self) -> float:
        return max(
            MIN_MS + 30,
            min(
                lognormal(self.rng, self.params["medianMs"], self.params["sigma"]),
                self.period_s * 1000 - 2500,
            ),
        )


class FixedClaim(Family):
    """Claims one hard-coded completionTime. Half of them cut the wait short by what the
    clock rule tolerates (claims ahead of the server); the others wait a random while."""

    def __init__(self, rng: random.Random, pace: float = 1.0) -> None:
        super().__init__(
            "bot: hard-coded claim",
            True,
            rng,
            pace,
            {"claimMs": int(MIN_MS * rng.uniform(1.5, 4.0)), "cutsShort": rng.random() < 0.5},
        )

    def duration_ms(self) -> float:
        claim = self.params["claimMs"]
        if self.params["cutsShort"]:
            return claim - self.rng.uniform(100, 240)
        return claim + self.rng.uniform(0, claim)

    def claim(self, measured_ms: float, duration_ms: float) -> int:  # noqa: ARG002
        return self.params["claimMs"]


class Mimic(Family):
    """The cheater who read the detectors: human-like random durations just above the
    minimum (1.1-1.4 x), random gaps, as fast as the limits allow. Reported apart: see
    docs/anticheat.md."""

    def __init__(self, rng: random.Random, pace: float = 1.0) -> None:
        super().__init__(
            "bot: human mimic (fast)",
            True,
            rng,
            pace,
            {"medianMs": MIN_MS * rng.uniform(1.1, 1.4), "sigma": rng.uniform(0.15, 0.35)},
        )

    def duration_ms(self) -> float:
        while True:
            value = lognormal(self.rng, self.params["medianMs"], self.params["sigma"])
            if value >= MIN_MS + 30:
                return value

    def gap_s(self) -> float:
        return self.pace * self.rng.uniform(0.2, 3.0)


SIGNATURE_BOTS = (Pinned, Metronome, Clockwork, FixedClaim)


def population(*, bots: int, humans: int, mimics: int, seed: int, pace: float = 1.0) -> list[Family]:
    """``bots`` spread evenly over the four signature families, ``humans`` of whom a fifth
    are fast, ``mimics`` reported apart."""
    rng = random.Random(seed)
    players: list[Family] = []
    for i in range(bots):
        players.append(SIGNATURE_BOTS[i % len(SIGNATURE_BOTS)](random.Random(rng.random()), pace))
    for i in range(humans):
        players.append(Human(random.Random(rng.random()), fast=i % 5 == 4, pace=pace))
    for _ in range(mimics):
        players.append(Mimic(random.Random(rng.random()), pace))
    return players
