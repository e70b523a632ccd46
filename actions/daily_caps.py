"""The per-type daily cap (docs/api.md, "Limits"): at most ``dailyLimit`` actions of one type
per player per UTC day, counted at ``/actions/request``; the request past it is 429 with
``Retry-After`` until the next UTC midnight.

Why a counter in the shared cache, and not a SQL count of today's tokens: a count is a
read-then-write (count, then insert the token) and two requests racing between them
would both see "19" and both get a token; closing that in SQL needs a lock per
(player, type) held across the insert, i.e. an extra row lock on every request. The
cache's ``add`` (SET NX with the expiry) then ``incr`` (INCR) are each atomic in Redis,
so N simultaneous requests get N distinct counts and exactly ``dailyLimit`` of them fit,
on any number of processes, in one or two round trips. On the embedded default the
cache is the process's LocMemCache, whose ``add`` and ``incr`` take its lock, and the
embedded default is one process by definition. The key names the UTC day and expires at
the next midnight, so nothing needs resetting. A refused request gives its count back,
so raising a type's limit in the admin helps at once. The store being down fails closed
(503), like every other limit of the scoring path.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime, timedelta
from uuid import UUID

from django.core.cache import cache
from redis.exceptions import RedisError

from scoreboard_project import metrics
from scoreboard_project.errors import RateLimitExceeded, ServiceUnavailable

from . import clock
from .catalog import ActionKind

logger = logging.getLogger("scoreboard.actions")

SCOPE = "actions.type.daily"


def seconds_to_midnight(now: datetime) -> float:
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return ((today + timedelta(days=1)) - now).total_seconds()


def _key(*, user_id: UUID, kind: ActionKind, now: datetime) -> str:
    return f"actions:daily:{now.astimezone(UTC):%Y-%m-%d}:{kind.code}:{user_id}"


def daily_cap_take(*, user_id: UUID, kind: ActionKind) -> str | None:
    """Count one request of ``kind`` for the player today; 429 past the type's cap.

    Returns the counter's key (for ``daily_cap_give_back``), or None when the type has
    no cap. Call it after every other check of the request, so that a request refused
    for another reason does not spend the allowance.
    """
    if kind.daily_limit is None:
        return None
    now = clock.now()
    wait = seconds_to_midnight(now)
    key = _key(user_id=user_id, kind=kind, now=now)
    try:
        count = _incr(key, timeout=math.ceil(wait) + 1)
    except (RedisError, OSError) as exc:
        logger.warning("Daily cap store unavailable for %s: %s", kind.code, exc)
        raise ServiceUnavailable("Rate limits cannot be checked right now; try again shortly.") from exc
    if count > kind.daily_limit:
        daily_cap_give_back(key)
        metrics.rate_limit_violations.labels(scope=SCOPE).inc()
        raise RateLimitExceeded(
            wait,
            scope=SCOPE,
            message=f"{kind.code} may be requested {kind.daily_limit} times per UTC day; try again after midnight UTC.",
        )
    return key


def daily_cap_give_back(key: str | None) -> None:
    """Undo one count (a request refused after it was counted)."""
    if key is None:
        return
    try:
        cache.decr(key)
    except (ValueError, RedisError, OSError):
        pass  # expired at midnight, or the store is gone: nothing to give back


def _incr(key: str, *, timeout: int) -> int:
    for _ in range(3):
        cache.add(key, 0, timeout)  # SET NX: creates today's counter with its expiry, once
        try:
            return cache.incr(key)  # INCR: atomic
        except ValueError:
            continue  # expired between the two calls (midnight): create it again
    raise RedisError("daily cap counter vanished three times")
