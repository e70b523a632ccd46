"""Anomaly detectors: they look at a new ledger row and may flag it, never block it.

- ``fast_completion``: a timing far below the player's usual and the action type's usual
  (below FAST_FRACTION of the median, each baseline needing MIN_SAMPLE completions);
- ``score_velocity``: more than VELOCITY_MAX_POINTS scored within VELOCITY_WINDOW_SECONDS;
- ``near_minimum_timing``: NEAR_MIN_COUNT of the last NEAR_MIN_WINDOW completions of a
  type within a small margin above its ``minDurationMs`` (scripts aim just over the bar).

A plain completion costs no query once warm: the player's recent history and the type's
baseline are read through the shared cache (the baseline only when the player's own
history does not already clear the timing). Each tunable is a setting of the same name prefixed ``ANTICHEAT_``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from statistics import median
from typing import Any

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

from accounts.models import User
from leaderboard.models import ScoreHistory

from .models import Flag

logger = logging.getLogger("scoreboard.anticheat")

DEFAULTS: dict[str, float] = {
    "HISTORY_SIZE": 50,
    "MIN_SAMPLE": 5,
    "FAST_FRACTION": 0.4,
    "TYPE_SAMPLE_SIZE": 200,
    "TYPE_BASELINE_CACHE_SECONDS": 60,
    "VELOCITY_WINDOW_SECONDS": 300,
    "VELOCITY_MAX_POINTS": 3000,
    "NEAR_MIN_WINDOW": 10,
    "NEAR_MIN_COUNT": 6,
    "NEAR_MIN_MARGIN_MS": 200,
    "NEAR_MIN_MARGIN_FRACTION": 0.1,
}


def tunable(name: str) -> float:
    return getattr(settings, f"ANTICHEAT_{name}", DEFAULTS[name])


@dataclass(frozen=True)
class Finding:
    reason: str
    evidence: dict[str, Any]


def timing_of(row: dict[str, Any]) -> int | None:
    """The client's claimed time when a proof was given, else the server-measured one."""
    value = row.get("completion_time_ms")
    return value if value is not None else row.get("server_elapsed_ms")


HISTORY_CACHE_SECONDS = 3600
HISTORY_FIELDS = ("id", "action_type", "increment", "completion_time_ms", "server_elapsed_ms", "created_at")


def _row_of(entry: ScoreHistory) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in HISTORY_FIELDS}


def _history_from_db(user: User) -> list[dict[str, Any]]:
    rows = ScoreHistory.objects.filter(user=user, kind=ScoreHistory.Kind.ACTION).order_by("-created_at", "-id")
    return list(rows.values(*HISTORY_FIELDS)[: int(tunable("HISTORY_SIZE"))])


def recent_history(user: User, entry: ScoreHistory) -> list[dict[str, Any]]:
    """The player's last HISTORY_SIZE completions, newest first, ``entry`` included.

    Read through the shared cache: the hot path costs no query; a miss (first completion
    in an hour, a Redis restart) reads the ledger once. Two completions of one player
    racing may drop one row from the cached copy; for a heuristic that is acceptable,
    and the per-second completion limit makes it rare.
    """
    key = f"anticheat:history:{user.pk}"
    try:
        cached = cache.get(key)
    except (RedisError, OSError):
        cached = None
    if cached is None:
        history = _history_from_db(user)
    else:
        history = [row for row in cached if row["id"] != entry.pk]
        history.insert(0, _row_of(entry))
        history = history[: int(tunable("HISTORY_SIZE"))]
    try:
        cache.set(key, history, HISTORY_CACHE_SECONDS)
    except (RedisError, OSError):
        pass
    return history


def history_forget(user_id: Any) -> None:
    """Drop a player's cached history (after a moderator voids a score, say)."""
    try:
        cache.delete(f"anticheat:history:{user_id}")
    except (RedisError, OSError):
        pass


def type_median_ms(action_type: str, *, exclude_user: User) -> float | None:
    """The action type's usual time over other players' recent completions (cached)."""
    key = f"anticheat:type-median:{action_type}"
    try:
        cached = cache.get(key)
    except (RedisError, OSError):
        cached = None
    if cached is not None:
        return cached or None
    rows = (
        ScoreHistory.objects.filter(kind=ScoreHistory.Kind.ACTION, action_type=action_type)
        .exclude(user=exclude_user).order_by("-created_at")
        .values("completion_time_ms", "server_elapsed_ms")[: int(tunable("TYPE_SAMPLE_SIZE"))]
    )
    timings = [t for t in (timing_of(row) for row in rows) if t is not None]
    value = float(median(timings)) if len(timings) >= tunable("MIN_SAMPLE") else 0.0
    try:
        cache.set(key, value, int(tunable("TYPE_BASELINE_CACHE_SECONDS")))
    except (RedisError, OSError):
        pass
    return value or None


def fast_completion(entry: ScoreHistory, history: list[dict[str, Any]], user: User) -> Finding | None:
    timing = timing_of(entry.__dict__)
    if timing is None:
        return None
    fraction = tunable("FAST_FRACTION")
    own = [timing_of(r) for r in history if r["id"] != entry.pk and r["action_type"] == entry.action_type]
    own = [t for t in own if t is not None]
    player_median = float(median(own)) if len(own) >= tunable("MIN_SAMPLE") else None
    if player_median is not None and timing >= fraction * player_median:
        return None
    type_median = type_median_ms(entry.action_type, exclude_user=user)
    if type_median is not None and timing >= fraction * type_median:
        return None
    if player_median is None and type_median is None:
        return None
    return Finding(Flag.Reason.FAST_COMPLETION, {
        "actionType": entry.action_type, "timingMs": timing, "playerMedianMs": player_median,
        "typeMedianMs": type_median, "fraction": fraction,
    })


def score_velocity(entry: ScoreHistory, history: list[dict[str, Any]]) -> Finding | None:
    window = int(tunable("VELOCITY_WINDOW_SECONDS"))
    since = entry.created_at - timedelta(seconds=window)
    rows = [r for r in history if r["created_at"] >= since]
    if all(r["id"] != entry.pk for r in rows):
        rows.append({"id": entry.pk, "increment": entry.increment})
    points = sum(r["increment"] for r in rows)
    if points <= tunable("VELOCITY_MAX_POINTS"):
        return None
    return Finding(Flag.Reason.SCORE_VELOCITY, {
        "points": points, "windowSeconds": window, "completions": len(rows),
        "threshold": tunable("VELOCITY_MAX_POINTS"),
    })


def near_minimum_timing(entry: ScoreHistory, history: list[dict[str, Any]], min_duration_ms: int) -> Finding | None:
    margin = max(tunable("NEAR_MIN_MARGIN_MS"), tunable("NEAR_MIN_MARGIN_FRACTION") * min_duration_ms)
    same_type = [r for r in history if r["action_type"] == entry.action_type]
    if all(r["id"] != entry.pk for r in same_type):
        same_type.insert(0, {"id": entry.pk, **{k: getattr(entry, k) for k in ("completion_time_ms", "server_elapsed_ms")}})
    last = [timing_of(r) for r in same_type[: int(tunable("NEAR_MIN_WINDOW"))]]
    near = [t for t in last if t is not None and min_duration_ms <= t <= min_duration_ms + margin]
    if len(near) < tunable("NEAR_MIN_COUNT"):
        return None
    return Finding(Flag.Reason.NEAR_MINIMUM_TIMING, {
        "actionType": entry.action_type, "nearMinimum": len(near), "of": len(last),
        "minDurationMs": min_duration_ms, "marginMs": margin, "timingsMs": last,
    })
