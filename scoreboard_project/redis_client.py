"""The shared Redis connection (rankings, limits, broadcast locks), when REDIS_URL is set."""

from __future__ import annotations

from functools import lru_cache

import redis
from django.conf import settings


def redis_configured() -> bool:
    return bool(settings.REDIS_URL)


@lru_cache(maxsize=4)
def _client_for(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url, socket_connect_timeout=1, socket_timeout=2, health_check_interval=30, decode_responses=True
    )


def get_redis() -> redis.Redis:
    """A pooled, thread-safe client. Raises RuntimeError on the embedded set-up."""
    if not settings.REDIS_URL:
        raise RuntimeError("REDIS_URL is not set")
    return _client_for(settings.REDIS_URL)


def redis_key(*parts: str) -> str:
    """Keys are namespaced like the cache and the channel layer (REDIS_PREFIX)."""
    return ":".join((settings.REDIS_PREFIX, *parts))
