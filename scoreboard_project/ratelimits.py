"""Fixed-window rate limits on the shared cache (Redis in production), via django-ratelimit.

One call counts one event against one key and raises ``RateLimitExceeded`` with an
accurate ``Retry-After`` when the window is full. Counting happens in the cache
(``add`` + ``incr``), so every server process shares the same counters. When the cache
cannot be reached the limit cannot be enforced: it fails closed with 503.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django_ratelimit.core import get_usage
from redis.exceptions import RedisError

from . import metrics
from .errors import RateLimitExceeded, ServiceUnavailable

logger = logging.getLogger("scoreboard.ratelimits")


@dataclass(frozen=True)
class Limit:
    """``count`` events per ``period`` seconds, counted per key under ``scope``."""

    scope: str
    count: int
    period: int

    def __post_init__(self) -> None:
        metrics.rate_limit_violations.labels(scope=self.scope)  # its series exists at 0

    @property
    def rate(self) -> tuple[int, int]:
        return (self.count, self.period)


def limit_hit(limit: Limit, key: str, *, increment: bool = True) -> int:
    """Count one event for ``key``; return the count in the current window.

    Raises RateLimitExceeded past the limit and ServiceUnavailable when the store is down.
    """
    try:
        usage = get_usage(
            None,
            group=limit.scope,
            key=lambda _group, _request: key,
            rate=limit.rate,
            increment=increment,
        )
    except (RedisError, OSError) as exc:
        logger.warning("Rate-limit store unavailable for %s: %s", limit.scope, exc)
        raise ServiceUnavailable("Rate limits cannot be checked right now; try again shortly.") from exc
    if usage is None:  # RATELIMIT_ENABLE = False
        return 0
    if usage["limit"] == 0 and usage["time_left"] == -1:
        raise ServiceUnavailable("Rate limits cannot be checked right now; try again shortly.")
    if usage["should_limit"]:
        metrics.rate_limit_violations.labels(scope=limit.scope).inc()
        raise RateLimitExceeded(usage["time_left"], scope=limit.scope)
    return usage["count"]
