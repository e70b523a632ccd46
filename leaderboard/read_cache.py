"""GET /leaderboard's common case from a pre-serialized response kept per process.

Every write to the ranking store bumps one version counter in Redis (``bump_version``,
in the same round trip as the ``last_change`` stamp for a score change). A read sends
the version of the response this process holds to one Lua script, which answers
"still current" (one round trip, no SQL, no serialization) or the version, the board's
size, its last change and its top ``limit`` read atomically; the response is then built,
rendered once and kept under that version. Since the scorer's own request bumped the
version before its response went out, a client always reads its own writes. A held
response is also dropped after ``MAX_AGE_S`` (a bump lost to a Redis error cannot keep
it forever), and the board's ready marker is part of the version (a rebuild changes it).

Anything else (no Redis, a board not ready, a Redis error) goes through the selectors as
before. Every RECONCILE_EVERY_S the selector path is taken once, so the periodic size
check of ``ranking`` still runs.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse

from scoreboard_project import metrics
from scoreboard_project.redis_client import get_redis, redis_key, registered
from scoreboard_project.renderers import JSONRenderer

from . import ranking, selectors
from .periods import Period, window_for
from .redis_store import Keys, decode_member
from .rows import assign_ranks

logger = logging.getLogger("scoreboard.read_cache")
MAX_AGE_S = 5.0

# KEYS: zset, ready, version, last change; ARGV: the version held ('' for none), limit.
# {version, 0}: not ready; {version, 1}: the held response is current; else the data.
_READ = """
local ready = redis.call('GET', KEYS[2])
local version = (redis.call('GET', KEYS[3]) or '0') .. ':' .. (ready or '')
if not ready then return {version, 0} end
if version == ARGV[1] then return {version, 1} end
local top = redis.call('ZREVRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1, 'WITHSCORES')
return {version, 2, redis.call('ZCARD', KEYS[1]), redis.call('GET', KEYS[4]) or '', top}
"""


def version_key() -> str:
    return redis_key("lb", "version")


def last_change_key() -> str:
    return redis_key("lb", "last_change")


def bump_version(pipe=None) -> None:
    """After any write to the ranking store: every process's held responses are outdated."""
    if pipe is not None:
        pipe.incr(version_key())
        return
    try:
        get_redis().incr(version_key())
    except ranking.REDIS_ERRORS:
        logger.warning(
            "Leaderboard version not bumped: Redis unreachable (held responses expire in %.0f s)", MAX_AGE_S
        )


@dataclass(frozen=True)
class Held:
    version: str
    content: bytes
    at: float


_lock = threading.Lock()
_held: dict[tuple[str, int], Held] = {}
_full_read_at = 0.0


def render(data: Mapping[str, Any]) -> bytes:
    return JSONRenderer().render({"success": True, "data": data})


def _response(content: bytes) -> HttpResponse:
    return HttpResponse(content, content_type="application/json")


def _build(period: Period, answer: list, started: float) -> bytes:
    total, stamp, flat = int(answer[2]), answer[3], answer[4]
    items = []
    for index in range(0, len(flat), 2):
        user_id, moment = decode_member(flat[index])
        items.append((user_id, int(float(flat[index + 1])), moment))
    rows = assign_ranks(items, offset=0, first_rank=lambda _score: 1)
    data = selectors.top_data(
        entries=selectors.entries_for(rows),
        last_updated=stamp or ranking.last_change(),
        period=period,
        total=total,
    )
    metrics.leaderboard_query_time.observe(time.perf_counter() - started)
    return render(data)


def full_read_due() -> bool:
    """Whether the next read must take the selector path (no Redis store, or reconciliation)."""
    return not ranking.redis_store_enabled() or reconciliation_due()


def reconciliation_due() -> bool:
    return time.monotonic() - _full_read_at > ranking.RECONCILE_EVERY_S


def held_response(bucket: str, limit: int) -> Held | None:
    """This process's response for the board ``bucket`` and ``limit``, unless too old."""
    held = _held.get((bucket, limit))
    if held is not None and time.monotonic() - held.at > MAX_AGE_S:
        return None
    return held


def leaderboard_response(period: Period, limit: int) -> HttpResponse:
    """The rendered ``{"success": true, "data": <leaderboard_top>}`` response."""
    global _full_read_at
    if full_read_due():
        _full_read_at = time.monotonic()
        return _response(render(selectors.leaderboard_top(period=period, limit=limit)))
    window = window_for(period)
    key = (window.bucket, limit)
    held = held_response(window.bucket, limit)
    started = time.perf_counter()
    keys = Keys.of(window.bucket)
    try:
        client = get_redis()
        answer = registered(client, _READ)(
            keys=[keys.zset, keys.ready, version_key(), last_change_key()],
            args=[held.version if held else "", limit],
            client=client,
        )
    except ranking.REDIS_ERRORS as exc:
        logger.warning("Leaderboard read falls back to the selectors: %s", exc)
        return _response(render(selectors.leaderboard_top(period=period, limit=limit)))
    version, kind = answer[0], int(answer[1])
    if kind == 1 and held is not None:
        return _response(held.content)
    if kind == 0:  # not ready: the selector path rebuilds it (or reads SQL)
        return _response(render(selectors.leaderboard_top(period=period, limit=limit)))
    content = _build(period, answer, started)
    with _lock:
        _held[key] = Held(version, content, time.monotonic())
    return _response(content)


def clear() -> None:
    """Tests: forget every held response."""
    global _full_read_at
    with _lock:
        _held.clear()
    _full_read_at = 0.0
