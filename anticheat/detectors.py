"""Anomaly detectors: each looks at what the server measured and may flag a ledger row,
never block it. docs/anticheat.md says what each looks at and how to read its evidence.

All of them judge ``server_elapsed_ms`` (the server's own clock, from issuing the token
to receiving the completion) and the server's timestamps of completions, never the
client's claimed time alone; the one detector about claims compares them with the
server's measure. Each is a pure function of a ``Trace`` and returns a ``Finding`` whose
evidence names the rule in words and gives the numbers it compared:

- ``near_minimum_timing``: most of the last WINDOW durations of a type within
  NEAR_MIN_MARGIN (a fraction) above the type's minimum;
- ``low_spread``: the last WINDOW durations of a type almost identical (trimmed spread of
  their logarithms below LOW_SPREAD_MAX);
- ``regular_rhythm``: the last WINDOW intervals between completions almost identical;
- ``claimed_offset``: claims ahead of the server's measure (impossible for an honest
  client, whose clock starts later and stops earlier than the server's), or claims with
  almost no spread while the server's measures vary (a hard-coded completionTime);
- ``score_velocity``: completions in VELOCITY_WINDOW_SECONDS at VELOCITY_LIMIT_SHARE or
  more of what the completion limits allow in that window (a limit-saturating grinder);
- ``fast_completion``: the player's median duration of a type below the type's baseline,
  a robust band over players in good standing (see ``baselines``).

Thresholds are settings (ANTICHEAT_*), declared and validated in settings.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from django.conf import settings

from .baselines import Baseline
from .history import arrival
from .models import Flag
from .stats import trimmed_log_spread


@dataclass(frozen=True)
class Finding:
    reason: str
    evidence: dict[str, Any]


@dataclass(frozen=True)
class Trace:
    """What the detectors judge: one new completion in the light of the player's recent ones."""

    action_type: str
    min_duration_ms: int
    created_at: datetime  # when the new completion reached the server
    history: list[dict[str, Any]]  # the player's completions, newest first, the new one included
    baseline: Baseline | None = None
    same_type: list[dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        rows = [r for r in self.history if r["action_type"] == self.action_type]
        object.__setattr__(self, "same_type", rows)

    def durations(self) -> list[int]:
        """The server-measured durations of the last WINDOW completions of this type, or []."""
        values = [r["server_elapsed_ms"] for r in self.same_type if r.get("server_elapsed_ms") is not None]
        window = settings.ANTICHEAT_WINDOW
        return values[:window] if len(values) >= window else []


LOW_SPREAD_TEXT = (
    "The last {count} server-measured durations vary by {spread:.3f} (trimmed standard deviation "
    "of their logarithms, about +-{spread:.1%}); human play varies by far more; the rule fires below {threshold}."
)
REGULAR_RHYTHM_TEXT = (
    "The last {count} intervals between completions (server clock) vary by {spread:.3f} "
    "(about +-{spread:.1%}): a machine's rhythm; the rule fires below {threshold}."
)


def _evidence(rule: str, trace: Trace, **numbers: Any) -> dict[str, Any]:
    return {"rule": rule, "actionType": trace.action_type, "window": settings.ANTICHEAT_WINDOW, **numbers}


def near_minimum_timing(trace: Trace) -> Finding | None:
    durations = trace.durations()
    if not durations:
        return None
    margin = settings.ANTICHEAT_NEAR_MIN_MARGIN
    ceiling = round(trace.min_duration_ms * (1 + margin))
    near = sum(1 for d in durations if d <= ceiling)
    needed = math.ceil(settings.ANTICHEAT_NEAR_MIN_SHARE * len(durations))
    if near < needed:
        return None
    return Finding(
        Flag.Reason.NEAR_MINIMUM_TIMING,
        _evidence(
            f"{near} of the last {len(durations)} server-measured durations were at most {ceiling} ms "
            f"(the minimum {trace.min_duration_ms} ms + {margin:.0%}); the rule fires at {needed}.",
            trace,
            minDurationMs=trace.min_duration_ms,
            ceilingMs=ceiling,
            nearMinimum=near,
            needed=needed,
            durationsMs=durations,
        ),
    )


def _narrow_spread(
    reason: str, values: list[int], threshold: float, trace: Trace, describe: str, **numbers: Any
) -> Finding | None:
    """A finding when ``values`` vary less than ``threshold`` (trimmed spread of their logarithms);
    ``describe`` is formatted with ``count``, ``spread`` and ``threshold``."""
    spread = trimmed_log_spread(values)
    if spread >= threshold:
        return None
    text = describe.format(count=len(values), spread=spread, threshold=threshold)
    return Finding(reason, _evidence(text, trace, spread=round(spread, 4), threshold=threshold, **numbers))


def low_spread(trace: Trace) -> Finding | None:
    durations = trace.durations()
    if not durations:
        return None
    return _narrow_spread(
        Flag.Reason.LOW_SPREAD,
        durations,
        settings.ANTICHEAT_LOW_SPREAD_MAX,
        trace,
        LOW_SPREAD_TEXT,
        medianMs=median(durations),
        durationsMs=durations,
    )


def regular_rhythm(trace: Trace) -> Finding | None:
    window = settings.ANTICHEAT_WINDOW
    times = [arrival(r) for r in trace.history[: window + 1]]
    if len(times) < window + 1:
        return None
    intervals = [
        max(1, round((a - b).total_seconds() * 1000)) for a, b in zip(times, times[1:], strict=False)
    ]
    return _narrow_spread(
        Flag.Reason.REGULAR_RHYTHM,
        intervals,
        settings.ANTICHEAT_RHYTHM_MAX,
        trace,
        REGULAR_RHYTHM_TEXT,
        medianIntervalMs=median(intervals),
        intervalsMs=intervals,
    )


def claimed_offset(trace: Trace) -> Finding | None:
    window = settings.ANTICHEAT_WINDOW
    pairs = [
        (r["completion_time_ms"], r["server_elapsed_ms"])
        for r in trace.same_type
        if r.get("completion_time_ms") is not None and r.get("server_elapsed_ms") is not None
    ][:window]
    if len(pairs) < window:
        return None
    claimed, server = [c for c, _ in pairs], [s for _, s in pairs]
    offsets = [s - c for c, s in pairs]  # an honest client's is positive: its clock runs inside the server's
    slack = settings.ANTICHEAT_CLAIM_AHEAD_SLACK_MS
    ahead = sum(1 for o in offsets if o < -slack)
    needed = math.ceil(settings.ANTICHEAT_CLAIM_AHEAD_SHARE * window)
    numbers = {"claimedMs": claimed, "serverMs": server, "offsetsMs": offsets}
    if ahead >= needed:
        return Finding(
            Flag.Reason.CLAIMED_OFFSET,
            _evidence(
                f"{ahead} of the last {window} claimed times exceeded the server's own measure by more than {slack} ms; "
                f"an honest client's clock starts after and stops before the server's; the rule fires at {needed}.",
                trace,
                ahead=ahead,
                needed=needed,
                slackMs=slack,
                **numbers,
            ),
        )
    claim_spread, server_spread = trimmed_log_spread(claimed), trimmed_log_spread(server)
    flat = settings.ANTICHEAT_LOW_SPREAD_MAX
    if claim_spread < flat <= server_spread:
        return Finding(
            Flag.Reason.CLAIMED_OFFSET,
            _evidence(
                f"The claimed times vary by {claim_spread:.3f} (below {flat}) while the server measured durations varying "
                f"by {server_spread:.3f}: a hard-coded completionTime that does not follow the real durations.",
                trace,
                claimSpread=round(claim_spread, 4),
                serverSpread=round(server_spread, 4),
                threshold=flat,
                **numbers,
            ),
        )
    return None


def completion_allowance(window_seconds: int) -> int:
    """The most completions the per-user limits let through in any ``window_seconds``."""
    return min(
        settings.RATE_LIMIT_ACTIONS_PER_SECOND * window_seconds,
        settings.RATE_LIMIT_ACTIONS_PER_MINUTE * math.ceil(window_seconds / 60),
        settings.RATE_LIMIT_ACTIONS_PER_HOUR * math.ceil(window_seconds / 3600),
        settings.RATE_LIMIT_ACTIONS_PER_DAY * math.ceil(window_seconds / 86400),
    )


def score_velocity(trace: Trace) -> Finding | None:
    window = settings.ANTICHEAT_VELOCITY_WINDOW_SECONDS
    since = trace.created_at - timedelta(seconds=window)
    rows = [r for r in trace.history if arrival(r) > since]
    allowance = completion_allowance(window)
    needed = math.ceil(settings.ANTICHEAT_VELOCITY_LIMIT_SHARE * allowance)
    if len(rows) < needed:
        return None
    return Finding(
        Flag.Reason.SCORE_VELOCITY,
        _evidence(
            f"{len(rows)} completions in {window} s, where the limits allow {allowance}: sustained play at "
            f"{settings.ANTICHEAT_VELOCITY_LIMIT_SHARE:.0%} or more of the limits; the rule fires at {needed}.",
            trace,
            completions=len(rows),
            windowSeconds=window,
            allowance=allowance,
            needed=needed,
            points=sum(r["increment"] for r in rows),
        ),
    )


def fast_completion(trace: Trace) -> Finding | None:
    baseline = trace.baseline
    durations = trace.durations()
    if baseline is None or not durations:
        return None
    player_median = median(durations)
    if player_median >= baseline.threshold_ms:
        return None
    return Finding(
        Flag.Reason.FAST_COMPLETION,
        _evidence(
            f"The player's median server-measured duration {player_median:.0f} ms is below {baseline.threshold_ms} ms, "
            f"the fast edge of {baseline.players} established players (their medians' median {baseline.median_ms} ms "
            f"less {settings.ANTICHEAT_BASELINE_MAD_MULTIPLIER} robust deviations, in log space).",
            trace,
            playerMedianMs=player_median,
            baselineMedianMs=baseline.median_ms,
            baselineThresholdMs=baseline.threshold_ms,
            baselinePlayers=baseline.players,
            baselineComputedAt=baseline.computed_at,
            durationsMs=durations,
        ),
    )


DETECTORS: tuple[Callable[[Trace], Finding | None], ...] = (
    near_minimum_timing,
    low_spread,
    regular_rhythm,
    claimed_offset,
    score_velocity,
    fast_completion,
)


def run_detectors(trace: Trace) -> list[Finding]:
    return [finding for finding in (detector(trace) for detector in DETECTORS) if finding is not None]
