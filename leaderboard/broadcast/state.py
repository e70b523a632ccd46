"""Broadcast state shared by every process: the coalescing window, the last board, the sequence.

In the production shape it lives in Redis (a ``SET NX PX`` window, so at most one update
per BROADCAST_INTERVAL_MS leaves across all processes); on the embedded default the same
operations run on the process's own cache.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

import orjson
from django.core.cache import cache
from django.db.models import QuerySet, Sum

from scoreboard_project.redis_client import get_redis, redis_configured, redis_key

from .payloads import BoardState

_PENDING_MS = 60_000
# seq = max(previous + 1, now in µs): it keeps rising when Redis restarts empty, so hubs
# never mistake a fresh update for a stale one.
_NEXT_SEQ = """
local value = redis.call('INCR', KEYS[1])
if value < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
  value = tonumber(ARGV[1])
end
return value
"""

# The window opened (-1), or else the update marked pending and the window's remaining ms.
_OPEN_OR_DEFER = """
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  return -1
end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  return 0
end
return left
"""


def _seq_floor() -> int:
    return int(time.time() * 1_000_000)


_LAST_TTL_S = 86_400


class SharedState(Protocol):
    def open_window(self, ms: int) -> bool: ...
    def open_or_defer(self, ms: int) -> int | None: ...
    def remaining_ms(self) -> int: ...
    def close_window(self) -> None: ...
    def take_pending(self) -> bool: ...
    def has_pending(self) -> bool: ...
    def last(self) -> BoardState | None: ...
    def save(self, state: BoardState) -> None: ...
    def next_seq(self) -> int: ...
    def seq(self) -> int: ...


class RedisState:
    def __init__(self) -> None:
        self.client = get_redis()
        self.window, self.pending = redis_key("bcast", "window"), redis_key("bcast", "pending")
        # "state", not the former "last": that one holds camelCase entries an older release wrote
        self.last_key, self.seq_key = redis_key("bcast", "state"), redis_key("bcast", "seq")

    def open_window(self, ms: int) -> bool:
        return bool(self.client.set(self.window, "1", nx=True, px=ms))

    def open_or_defer(self, ms: int) -> int | None:
        """Open the window (None), or else mark an update pending and answer the window's
        remaining ms: one round trip where ``SET NX``, ``SET`` and ``PTTL`` took three, for
        every change inside a window."""
        left = int(self.client.eval(_OPEN_OR_DEFER, 2, self.window, self.pending, ms, _PENDING_MS))
        return None if left < 0 else left

    def remaining_ms(self) -> int:
        return max(0, int(self.client.pttl(self.window)))

    def close_window(self) -> None:
        self.client.delete(self.window)

    def take_pending(self) -> bool:
        return self.client.getdel(self.pending) is not None

    def has_pending(self) -> bool:
        return bool(self.client.exists(self.pending))

    def last(self) -> BoardState | None:
        raw = self.client.get(self.last_key)
        return orjson.loads(raw) if raw else None

    def save(self, state: BoardState) -> None:
        self.client.set(self.last_key, orjson.dumps(state), ex=_LAST_TTL_S)

    def next_seq(self) -> int:
        return int(self.client.eval(_NEXT_SEQ, 1, self.seq_key, _seq_floor()))

    def seq(self) -> int:
        return int(self.client.get(self.seq_key) or 0)


class LocalState:
    """The same on the process's cache (LocMem on the embedded default)."""

    _lock = threading.Lock()

    def open_window(self, ms: int) -> bool:
        return cache.add("bcast:window", time.time() + ms / 1000, timeout=ms / 1000)

    def open_or_defer(self, ms: int) -> int | None:
        if self.open_window(ms):
            return None
        self.set_pending()
        return self.remaining_ms()

    def remaining_ms(self) -> int:
        until = cache.get("bcast:window")
        return max(0, int((until - time.time()) * 1000)) if until else 0

    def close_window(self) -> None:
        cache.delete("bcast:window")

    def set_pending(self) -> None:
        cache.set("bcast:pending", True, timeout=_PENDING_MS / 1000)

    def take_pending(self) -> bool:
        with self._lock:
            found = cache.get("bcast:pending")
            cache.delete("bcast:pending")
        return bool(found)

    def has_pending(self) -> bool:
        return bool(cache.get("bcast:pending"))

    def last(self) -> BoardState | None:
        return cache.get("bcast:last")

    def save(self, state: BoardState) -> None:
        cache.set("bcast:last", state, timeout=_LAST_TTL_S)

    def next_seq(self) -> int:
        with self._lock:
            value = max(int(cache.get("bcast:seq", 0)) + 1, _seq_floor())
            cache.set("bcast:seq", value, timeout=None)
        return value

    def seq(self) -> int:
        return int(cache.get("bcast:seq", 0))


def shared_state() -> SharedState:
    return RedisState() if redis_configured() else LocalState()


def previous_scores(
    entries: Sequence[Mapping[str, Any]],
    before: BoardState | None,
    ledger: QuerySet,
    *,
    user_key: str = "userId",
) -> dict[str, int]:
    """Each entry's score at the previous update (the ``change`` of the scoreboard dialect):
    a newcomer's from its rows of ``ledger`` (the board's ledger rows) since then.

    ``user_key`` names the player's id in ``entries`` and in ``before``: ``user_id`` in the
    global top 10's entries, ``userId`` in a named board's records (kept as sent)."""
    if before is None:
        return {}
    sent: Sequence[Mapping[str, Any]] = before["entries"]
    previous = {e[user_key]: e["score"] for e in sent}
    newcomers = [e[user_key] for e in entries if e[user_key] not in previous]
    if newcomers:
        since = datetime.fromisoformat(before["updatedAt"])
        moved = dict(
            ledger.filter(user_id__in=newcomers, created_at__gt=since)
            .values_list("user_id")
            .annotate(total=Sum("increment"))
            .values_list("user_id", "total")
        )
        for e in entries:
            if e[user_key] in newcomers:
                previous[e[user_key]] = e["score"] - int(moved.get(UUID(e[user_key]), 0) or 0)
    return previous
