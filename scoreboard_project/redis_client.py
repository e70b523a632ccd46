"""The process's one Redis connection pool (cache, limits, rankings, broadcast locks).

Everything synchronous that talks to Redis borrows from the pool built here, once per
process and URL: Django's cache (``cache.RedisCache`` hands it this pool instead of
building its own per ASGI request context), the limit counters, the ranking store and
the broadcast state. The channel layer is asyncio and keeps its own connections (one
per event loop and shard; see ``docs/security.md``).
"""

from __future__ import annotations

import os
import threading
from typing import Any

import redis
from django.conf import settings
from redis.client import Pipeline
from redis.commands.core import Script
from redis.exceptions import NoScriptError

_lock = threading.Lock()
_pools: dict[tuple[int, str], redis.ConnectionPool] = {}
_clients: dict[tuple[int, str], redis.Redis] = {}
MAX_CONNECTIONS = 64  # per process: the thread pool's size is well under it
_loaded_scripts: set[str] = set()  # SHAs of scripts this process has seen Redis hold
_registered: dict[tuple[int, str], Script] = {}


def redis_configured() -> bool:
    return bool(settings.REDIS_URL)


def _process_key(url: str | None) -> tuple[int, str]:
    """(this process, the URL: REDIS_URL by default); pools and clients are per process and URL."""
    url = url or settings.REDIS_URL
    if not url:
        raise RuntimeError("REDIS_URL is not set")
    return os.getpid(), url


def shared_pool(url: str | None = None) -> redis.ConnectionPool:
    """The process's pool for ``url`` (REDIS_URL by default), created on first use.

    Keyed on the process id as well: a forked child must not share its parent's sockets.
    """
    key = _process_key(url)
    url = key[1]
    pool = _pools.get(key)
    if pool is None:
        with _lock:
            pool = _pools.get(key)
            if pool is None:
                pool = redis.ConnectionPool.from_url(
                    url,
                    socket_connect_timeout=1,
                    socket_timeout=2,
                    health_check_interval=30,
                    decode_responses=True,
                    max_connections=MAX_CONNECTIONS,
                    # bytes that are not UTF-8 (a planted pickle) read as text that no
                    # JSON reader accepts, instead of failing inside the parser
                    encoding_errors="replace",
                )
                _pools[key] = pool
    return pool


def get_redis(url: str | None = None) -> redis.Redis:
    """A thread-safe client on the shared pool. Raises RuntimeError on the embedded set-up."""
    key = _process_key(url)
    client = _clients.get(key)
    if client is None:
        client = _clients.setdefault(key, redis.Redis(connection_pool=shared_pool(key[1])))
    return client


def registered(client: redis.Redis, source: str) -> Script:
    """``client.register_script(source)``, once per client and script (registering hashes the
    source: not per call on a hot path)."""
    key = (id(client), source)
    script = _registered.get(key)
    if script is None:
        script = _registered[key] = client.register_script(source)
    return script


def redis_key(*parts: str) -> str:
    """Keys are namespaced like the cache and the channel layer (REDIS_PREFIX)."""
    return ":".join((settings.REDIS_PREFIX, *parts))


def execute_idempotent(pipe: Pipeline) -> list[Any]:
    """``pipe.execute(raise_on_error=False)`` without redis-py's ``SCRIPT EXISTS`` round trip.

    redis-py asks Redis whether a pipeline's scripts are loaded before every execution: one
    more round trip on the hottest write (a completion's ranking sets). Here it is asked
    once per process and script; if Redis has lost them since (a restart, ``SCRIPT
    FLUSH``), the NOSCRIPT answers make this load them and send the whole pipeline again.
    Only for pipelines whose commands may safely run twice.
    """
    scripts = set(pipe.scripts)
    if scripts and {script.sha for script in scripts} <= _loaded_scripts:
        commands = list(pipe.command_stack)
        pipe.scripts = set()
        results = pipe.execute(raise_on_error=False)
        if not any(isinstance(result, NoScriptError) for result in results):
            return results
        _loaded_scripts.difference_update(script.sha for script in scripts)
        pipe.command_stack, pipe.scripts = commands, scripts
    results = pipe.execute(raise_on_error=False)  # redis-py loads what is missing first
    _loaded_scripts.update(script.sha for script in scripts)
    return results
