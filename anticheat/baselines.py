"""Per-type baselines of server-measured durations that a cheater cannot poison.

Built only from players in good standing (active, no open or voided flag, ever) with at
least BASELINE_MIN_HISTORY completions of the type in the last BASELINE_DAYS, and only
from what the server measured. Each player is one vote (the median of their own recent
durations), so a swarm of sybil accounts moves the result no more than its share of
players, and the statistics are robust: the median of the players' medians and their
median absolute deviation, in log space, need half the established players to move.
The fast edge is ``exp(median - K * 1.4826 * MAD)`` (K = BASELINE_MAD_MULTIPLIER, 5):
real populations have a fat fast tail (a fifth of the benchmark's humans play at 1.4-1.8 x
the minimum while the median plays at 2.5 x), so the edge sits well past where
log-normal tails would put the fastest honest players. Fewer than
BASELINE_MIN_PLAYERS established players (a new type): no baseline, the detector is
silent.

The baselines live in the shared cache (Redis in production) and are computed off the
request path: a daemon thread per process wakes every BASELINE_REFRESH_SECONDS, and
whichever process takes the short cache lock first recomputes every type (0 turns the
thread off; ``manage.py anticheat_baselines`` does the same from cron). A completion
only reads the cached value.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import timedelta
from statistics import median
from typing import cast

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from redis.exceptions import RedisError

from accounts.models import User
from leaderboard.models import ScoreHistory

from .models import Flag
from .stats import mad

logger = logging.getLogger("scoreboard.anticheat")

PER_PLAYER_ROWS = 50
MAX_ROWS = 100_000
MIN_LOG_DEVIATION = 0.05  # a population with no spread at all still leaves a 5 % band
CACHE_SECONDS = 86400


@dataclass(frozen=True)
class Baseline:
    action_type: str
    players: int
    median_ms: int
    threshold_ms: int
    computed_at: str


def _key(action_type: str) -> str:
    return f"anticheat:baseline:v1:{action_type}"


def baseline_get(action_type: str) -> Baseline | None:
    """The cached baseline of a type (never computed here); starts the refresher if due."""
    refresher_ensure()
    try:
        cached = cache.get(_key(action_type))
    except (RedisError, OSError):
        return None
    return Baseline(**cached) if cached else None


def _player_durations(action_type: str) -> dict[object, list[int]]:
    since = timezone.now() - timedelta(days=settings.ANTICHEAT_BASELINE_DAYS)
    suspect = Flag.objects.filter(status__in=[Flag.Status.OPEN, Flag.Status.VOIDED]).values("user_id")
    rows = (
        ScoreHistory.objects.filter(
            kind=ScoreHistory.Kind.ACTION,
            action_type=action_type,
            created_at__gte=since,
            server_elapsed_ms__isnull=False,
            user__status=User.Status.ACTIVE,
        )
        .exclude(user_id__in=suspect)
        .order_by("-created_at")
        .values_list("user_id", "server_elapsed_ms")[:MAX_ROWS]
    )
    per_player: dict[object, list[int]] = defaultdict(list)
    for user_id, elapsed in rows:
        if len(per_player[user_id]) < PER_PLAYER_ROWS:
            per_player[user_id].append(cast(int, elapsed))  # server_elapsed_ms__isnull=False above
    return per_player


def baseline_compute(action_type: str) -> Baseline | None:
    """The baseline from the database now (slow: for the refresher and tests)."""
    per_player = _player_durations(action_type)
    medians = [median(v) for v in per_player.values() if len(v) >= settings.ANTICHEAT_BASELINE_MIN_HISTORY]
    if len(medians) < settings.ANTICHEAT_BASELINE_MIN_PLAYERS:
        return None
    logs = [math.log(max(m, 1.0)) for m in medians]
    centre = median(logs)
    deviation = max(1.4826 * mad(logs), MIN_LOG_DEVIATION)
    threshold = math.exp(centre - settings.ANTICHEAT_BASELINE_MAD_MULTIPLIER * deviation)
    return Baseline(
        action_type, len(medians), round(math.exp(centre)), round(threshold), timezone.now().isoformat()
    )


def baselines_refresh() -> dict[str, Baseline | None]:
    """Recompute and cache the baseline of every type completed in the window."""
    since = timezone.now() - timedelta(days=settings.ANTICHEAT_BASELINE_DAYS)
    types = (
        ScoreHistory.objects.filter(kind=ScoreHistory.Kind.ACTION, created_at__gte=since)
        .exclude(action_type="")
        .values_list("action_type", flat=True)
        .distinct()
    )
    results: dict[str, Baseline | None] = {}
    for action_type in sorted(set(types)):
        baseline = results[action_type] = baseline_compute(action_type)
        if baseline is None:
            cache.delete(_key(action_type))
        else:
            cache.set(_key(action_type), asdict(baseline), CACHE_SECONDS)
    return results


_refresher_lock = threading.Lock()
_refresher: threading.Thread | None = None


def refresher_ensure() -> None:
    """Start this process's refresher thread once (when BASELINE_REFRESH_SECONDS > 0)."""
    global _refresher
    if _refresher is not None or settings.ANTICHEAT_BASELINE_REFRESH_SECONDS <= 0:
        return
    with _refresher_lock:
        if _refresher is None:
            _refresher = threading.Thread(target=_refresh_forever, name="anticheat-baselines", daemon=True)
            _refresher.start()


def _refresh_forever() -> None:
    while True:
        interval = settings.ANTICHEAT_BASELINE_REFRESH_SECONDS
        if interval <= 0:
            return
        try:
            # One process per interval does the work; the others find the lock taken.
            if cache.add("anticheat:baseline:lock", 1, max(1, int(interval * 0.8))):
                baselines_refresh()
        except Exception:  # noqa: BLE001 - a failed refresh keeps the last baselines; try again later
            logger.exception("Baseline refresh failed")
        finally:
            connection.close()  # this thread's own connection: never hold one while asleep
        time.sleep(interval * random.uniform(0.9, 1.1))
