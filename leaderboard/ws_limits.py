"""Leases for open sockets and streams, shared by every process (Redis) or in-process.

The caps themselves (how many, per what, fail mode) are in ``scoreboard_project/limits.py``
(CAPS). Each open socket or stream holds a lease: a member of a sorted set scored by the
time its lease ends. The holder renews it while it lives (sockets on every heartbeat,
streams on every keep-alive) and the set's own expiry is pushed out with it, so a cap
holds for as long as the connections stay open; a process that dies without cleaning up
frees its slots when their leases run out.

- per user: ``ws.user.open`` sockets at once and ``ws.user.new`` new ones per 5 minutes;
- per client IP: ``stream.anonymous.ip`` anonymous sockets and SSE streams together.

The async functions (what sockets and streams call, on the event loop) send the scripts
on the loop's pipelined connection (``redis_pipe``) when Redis is reachable by
``redis://``: no thread hop per socket opened, renewed or closed. The same scripts run
through redis-py's client from threads and on other URLs.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import cast

from asgiref.sync import sync_to_async
from django.conf import settings

from scoreboard_project import redis_pipe
from scoreboard_project.client_ip import resolve_client_ip
from scoreboard_project.limits import CAPS, OPEN, WS_FLOOD_BURST, WS_FLOOD_RATE, cap_count
from scoreboard_project.redis_client import get_redis, redis_configured, redis_key

from .ranking import REDIS_ERRORS

logger = logging.getLogger("scoreboard.ws")
FLOOD_RATE, FLOOD_BURST = WS_FLOOD_RATE, WS_FLOOD_BURST  # the policy lives in scoreboard_project.limits

STREAM_KEEP_ALIVE_S = 15.0

_ACQUIRE = """
local now, lease = tonumber(ARGV[1]), tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 1 end
local max_new = tonumber(ARGV[4])
if max_new > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[6]))
  if redis.call('ZCARD', KEYS[2]) >= max_new then return 2 end
  redis.call('ZADD', KEYS[2], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[6])
end
redis.call('ZADD', KEYS[1], now + lease, ARGV[2])
if redis.call('PTTL', KEYS[1]) < lease then redis.call('PEXPIRE', KEYS[1], lease) end
return 0
"""

_RENEW = """
local lease = tonumber(ARGV[3])
if not redis.call('ZSCORE', KEYS[1], ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], 'XX', tonumber(ARGV[1]) + lease, ARGV[2])
if redis.call('PTTL', KEYS[1]) < lease then redis.call('PEXPIRE', KEYS[1], lease) end
return 1
"""

_local_lock = threading.Lock()
_local_open: dict[str, dict[str, float]] = {}  # set key -> holder -> lease end (ms)
_local_new: dict[str, list[tuple[float, str]]] = {}


def reset_local() -> None:
    with _local_lock:
        _local_open.clear()
        _local_new.clear()


def _now_ms() -> int:
    return int(time.time() * 1000)


def socket_lease_ms() -> int:
    """Three heartbeats: the consumer renews every half heartbeat."""
    return 3 * settings.WS_HEARTBEAT_INTERVAL


def stream_lease_ms() -> int:
    return int(3 * STREAM_KEEP_ALIVE_S * 1000)


def _keys(holder: str) -> tuple[str, str]:
    return redis_key("ws", "open", holder), redis_key("ws", "new", holder)


def _acquire(holder: str, conn_id: str, max_open: int, max_new: int, lease_ms: int) -> bool:
    now, window_ms = _now_ms(), CAPS["ws.user.new"].window * 1000
    if redis_configured():
        verdict = get_redis().eval(
            _ACQUIRE, 2, *_keys(holder), now, conn_id, max_open, max_new, lease_ms, window_ms
        )
        return int(verdict) == 0
    open_key, new_key = _keys(holder)
    with _local_lock:
        opened = {cid: end for cid, end in _local_open.get(open_key, {}).items() if end > now}
        recent = [(at, cid) for at, cid in _local_new.get(new_key, []) if at > now - window_ms]
        if len(opened) >= max_open or (max_new and len(recent) >= max_new):
            _local_open[open_key] = opened
            return False
        opened[conn_id] = now + lease_ms
        _local_open[open_key] = opened
        if max_new:
            _local_new[new_key] = [*recent, (now, conn_id)]
        return True


def _release(holder: str, conn_id: str) -> None:
    open_key = _keys(holder)[0]
    if redis_configured():
        get_redis().zrem(open_key, conn_id)
        return
    with _local_lock:
        _local_open.get(open_key, {}).pop(conn_id, None)


def _renew(holder: str, conn_id: str, lease_ms: int) -> None:
    now, open_key = _now_ms(), _keys(holder)[0]
    if redis_configured():
        get_redis().eval(_RENEW, 1, open_key, now, conn_id, lease_ms)
        return
    with _local_lock:
        if conn_id in _local_open.get(open_key, {}):
            _local_open[open_key][conn_id] = now + lease_ms


def user_holder(user_id: str) -> str:
    return f"user:{user_id}"


def ip_holder(ip: str) -> str:
    return f"anon:{ip}"


def _acquire_user(user_id: str, conn_id: str) -> bool:
    return _acquire(
        user_holder(user_id), conn_id, cap_count("ws.user.open"), cap_count("ws.user.new"), socket_lease_ms()
    )


def _acquire_anonymous(ip: str, conn_id: str, lease_ms: int) -> bool:
    return _acquire(ip_holder(ip), conn_id, cap_count("stream.anonymous.ip"), 0, lease_ms)


_acquire_script, _renew_script = redis_pipe.Script(_ACQUIRE), redis_pipe.Script(_RENEW)
_acquire_user_in_thread = sync_to_async(_acquire_user, thread_sensitive=False)
_acquire_anonymous_in_thread = sync_to_async(_acquire_anonymous, thread_sensitive=False)
_release_in_thread = sync_to_async(_release, thread_sensitive=False)
_renew_in_thread = sync_to_async(_renew, thread_sensitive=False)


def _piped() -> bool:
    return redis_pipe.usable(settings.REDIS_URL)


def _pipe_url() -> str:
    """REDIS_URL where ``_piped()`` said it is a plain redis:// URL."""
    return cast(str, settings.REDIS_URL)


async def _acquire_piped(holder: str, conn_id: str, max_open: int, max_new: int, lease_ms: int) -> bool:
    now, window_ms = _now_ms(), CAPS["ws.user.new"].window * 1000
    verdict = await _acquire_script(
        _pipe_url(), list(_keys(holder)), [now, conn_id, max_open, max_new, lease_ms, window_ms]
    )
    return int(verdict) == 0


async def acquire_user(user_id: str, conn_id: str) -> bool:
    if not _piped():
        return await _acquire_user_in_thread(user_id, conn_id)
    return await _acquire_piped(
        user_holder(user_id), conn_id, cap_count("ws.user.open"), cap_count("ws.user.new"), socket_lease_ms()
    )


async def acquire_anonymous(ip: str, conn_id: str, lease_ms: int) -> bool:
    if not _piped():
        return await _acquire_anonymous_in_thread(ip, conn_id, lease_ms)
    return await _acquire_piped(ip_holder(ip), conn_id, cap_count("stream.anonymous.ip"), 0, lease_ms)


async def release(holder: str, conn_id: str) -> None:
    if not _piped():
        await _release_in_thread(holder, conn_id)
        return
    await redis_pipe.loop_pipe(_pipe_url()).call("ZREM", _keys(holder)[0], conn_id)


async def renew(holder: str, conn_id: str, lease_ms: int) -> None:
    if not _piped():
        await _renew_in_thread(holder, conn_id, lease_ms)
        return
    await _renew_script(_pipe_url(), [_keys(holder)[0]], [_now_ms(), conn_id, lease_ms])


def scope_client_ip(scope) -> str:
    peer = (scope.get("client") or (None,))[0]
    forwarded = dict(scope.get("headers") or []).get(b"x-forwarded-for", b"").decode("latin-1") or None
    return resolve_client_ip(peer, forwarded)


async def acquire_anonymous_lease(ip: str, conn_id: str, lease_ms: int) -> tuple[bool, str]:
    """(allowed, holder) for an anonymous socket or stream; the fail mode is CAPS'."""
    try:
        return await acquire_anonymous(ip, conn_id, lease_ms), ip_holder(ip)
    except REDIS_ERRORS:
        allowed = CAPS["stream.anonymous.ip"].fail == OPEN
        logger.warning(
            "Redis unreachable: the anonymous cap is not counted (fails %s)", CAPS["stream.anonymous.ip"].fail
        )
        return allowed, ""


class FloodBucket:
    """A socket's token bucket for client messages: past the burst, a flood closes it (1008)."""

    def __init__(self) -> None:
        self.tokens, self.at = FLOOD_BURST, time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(FLOOD_BURST, self.tokens + (now - self.at) * FLOOD_RATE)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True
