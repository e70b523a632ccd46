"""Per-user WebSocket connection limits, shared by every process (Redis) or in-process.

A user may hold WS_MAX_CONNECTIONS_PER_USER sockets at once and open
WS_NEW_CONNECTIONS_PER_5_MINUTES new ones per 5 minutes. Open sockets are members of a
sorted set scored by their last heartbeat, so a process that dies without cleaning up
frees its slots after three heartbeat intervals.
"""

from __future__ import annotations

import threading
import time

from asgiref.sync import sync_to_async
from django.conf import settings

from scoreboard_project.redis_client import get_redis, redis_configured, redis_key

WINDOW_MS = 5 * 60 * 1000

_ACQUIRE = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[5])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[6]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 1 end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return 2 end
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('ZADD', KEYS[2], now, ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return 0
"""

_local_lock = threading.Lock()
_local_open: dict[str, dict[str, float]] = {}
_local_new: dict[str, list[tuple[float, str]]] = {}


def reset_local() -> None:
    with _local_lock:
        _local_open.clear()
        _local_new.clear()


def _keys(user_id: str) -> list[str]:
    return [redis_key("ws", "open", user_id), redis_key("ws", "new", user_id)]


def _stale_before(now_ms: int) -> int:
    return now_ms - 3 * settings.WS_HEARTBEAT_INTERVAL


def _acquire(user_id: str, conn_id: str) -> bool:
    now = int(time.time() * 1000)
    max_open, max_new = settings.WS_MAX_CONNECTIONS_PER_USER, settings.WS_NEW_CONNECTIONS_PER_5_MINUTES
    if redis_configured():
        client = get_redis()
        verdict = client.eval(_ACQUIRE, 2, *_keys(user_id), now, conn_id, max_open, max_new,
                              _stale_before(now), WINDOW_MS)
        return int(verdict) == 0
    with _local_lock:
        opened = {cid: at for cid, at in _local_open.get(user_id, {}).items() if at > _stale_before(now)}
        recent = [(at, cid) for at, cid in _local_new.get(user_id, []) if at > now - WINDOW_MS]
        if len(opened) >= max_open or len(recent) >= max_new:
            return False
        opened[conn_id] = now
        recent.append((now, conn_id))
        _local_open[user_id], _local_new[user_id] = opened, recent
        return True


def _release(user_id: str, conn_id: str) -> None:
    if redis_configured():
        get_redis().zrem(_keys(user_id)[0], conn_id)
        return
    with _local_lock:
        _local_open.get(user_id, {}).pop(conn_id, None)


def _refresh(user_id: str, conn_id: str) -> None:
    now = int(time.time() * 1000)
    if redis_configured():
        get_redis().zadd(_keys(user_id)[0], {conn_id: now}, xx=True)
        return
    with _local_lock:
        if conn_id in _local_open.get(user_id, {}):
            _local_open[user_id][conn_id] = now


acquire = sync_to_async(_acquire, thread_sensitive=False)
release = sync_to_async(_release, thread_sensitive=False)
refresh = sync_to_async(_refresh, thread_sensitive=False)
