"""Fixed-window counters: every window of a request counted in ONE Redis round trip.

``count(hits, now)`` adds one event to each ``(key, period)`` window and returns the
counts. On Redis it is a single ``EVALSHA`` (the script INCRs each window and sets its
expiry when new), so a completion's five windows (one IP, four per-user) cost one round
trip instead of fifteen. Without REDIS_URL the same arithmetic runs in-process under a
lock (the embedded default is one process).

Windows are aligned on the epoch (``floor(now / period)``), so every process agrees on
them; the wait until a window ends is exact.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from redis.commands.core import Script

from .redis_client import get_redis, redis_key

_SCRIPT = """
local out = {}
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('PEXPIRE', key, ARGV[i]) end
  out[i] = count
end
return out
"""


@dataclass(frozen=True)
class Window:
    """One counter: ``name`` (scope and key) in the window of ``period`` seconds holding ``now``."""

    name: str
    period: int

    def index(self, now: float) -> int:
        return int(now // self.period)

    def seconds_left(self, now: float) -> float:
        return (self.index(now) + 1) * self.period - now


def clock() -> float:
    """Seconds since the epoch; tests freeze it by patching this module's ``time``."""
    return time.time()


class RedisCounter:
    def __init__(self, client=None) -> None:
        self._client = client
        self._script: Script | None = None

    @property
    def client(self):
        return self._client or get_redis()

    def count(self, windows: Sequence[Window], now: float) -> list[int]:
        client = self.client
        if self._script is None or self._script.registered_client is not client:
            self._script = client.register_script(_SCRIPT)
        keys = [redis_key("rl", w.name, str(w.index(now))) for w in windows]
        ttls = [int(w.seconds_left(now) * 1000) + 1000 for w in windows]  # a second past its end
        return [int(c) for c in self._script(keys=keys, args=ttls, client=client)]


class LocalCounter:
    """The same on one process: a dict of live windows under a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, int, int], int] = {}

    def count(self, windows: Sequence[Window], now: float) -> list[int]:
        with self._lock:
            if len(self._counts) > 100_000:
                self._counts = {k: v for k, v in self._counts.items() if (k[2] + 1) * k[1] > now}
            out = []
            for w in windows:
                slot = (w.name, w.period, w.index(now))
                self._counts[slot] = self._counts.get(slot, 0) + 1
                out.append(self._counts[slot])
            return out

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()


_redis_counter = RedisCounter()
local_counter = LocalCounter()


def count(windows: Sequence[Window], now: float | None = None) -> list[int]:
    """Count one event in each window (one round trip on Redis). Raises the store's errors."""
    if not windows:
        return []
    now = clock() if now is None else now
    if settings.REDIS_URL:
        return _redis_counter.count(windows, now)
    return local_counter.count(windows, now)
