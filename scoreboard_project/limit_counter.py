"""Sliding-window limits: at most ``limit`` events in ANY span of ``period`` seconds, every
window of a request checked in ONE Redis round trip.

``take(windows, now)`` records one event in every window when each has room, and in none
otherwise; it answers, per window, the seconds to wait until it has room (0: it has).
Each window keeps the times of its last ``limit`` accepted events, newest first (a Redis
list, trimmed to ``limit``): it is full while the oldest of them is younger than the
period, and the wait is exact. Fixed windows (``floor(now / period)``), used before,
let twice the limit through around a window's edge (five failed logins just before the
quarter hour and five just after). A refused event is recorded nowhere, so the wait a
429 announces holds. Without REDIS_URL the same runs in-process under a lock (the
embedded default is one process).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings

from .redis_client import get_redis, redis_key, registered

# ``take(keys, args, each)``: ``args`` are now (ms), then each key's period (ms) and limit.
# Answers each window's wait in ms (0: room); records the event only when every window has
# room, or with ``each`` in every window that has room (an attempt refused for another reason,
# which counts wherever it still fits). Also the ASGI fast path's (``leaderboard.fast_read``).
TAKE_LUA = """
local function take(keys, args, each)
  local now = tonumber(args[1])
  local waits, refused = {}, false
  for i, key in ipairs(keys) do
    local period, limit = tonumber(args[2 * i]), tonumber(args[2 * i + 1])
    local wait = 0
    if limit < 1 then
      wait = period
    elseif redis.call('LLEN', key) >= limit then
      local oldest = tonumber(redis.call('LINDEX', key, limit - 1))
      if oldest + period > now then wait = oldest + period - now end
    end
    waits[i] = wait
    if wait > 0 then refused = true end
  end
  for i, key in ipairs(keys) do
    if waits[i] == 0 and (each or not refused) then
      local period, limit = tonumber(args[2 * i]), tonumber(args[2 * i + 1])
      redis.call('LPUSH', key, now)
      redis.call('LTRIM', key, 0, limit - 1)
      redis.call('PEXPIRE', key, period)
    end
  end
  return waits
end
"""
_SCRIPTS = {
    False: TAKE_LUA + "return take(KEYS, ARGV, false)",
    True: TAKE_LUA + "return take(KEYS, ARGV, true)",
}


@dataclass(frozen=True)
class Window:
    """One limit: at most ``limit`` events of ``name`` (scope and key) in any ``period`` seconds."""

    name: str
    period: int
    limit: int


def window_key(name: str) -> str:
    """The Redis list of a window (shared by every process, and by ``leaderboard.fast_read``)."""
    return redis_key("rlog", name)


def take_args(windows: Sequence[Window], now: float) -> list[int]:
    """The script's ARGV for ``windows`` at ``now``."""
    args = [int(now * 1000)]
    for w in windows:
        args += [w.period * 1000, w.limit]
    return args


def clock() -> float:
    """Seconds since the epoch; tests freeze it by patching this module's ``time``."""
    return time.time()


class RedisCounter:
    def __init__(self, client=None) -> None:
        self._client = client

    @property
    def client(self):
        return self._client or get_redis()

    def take(self, windows: Sequence[Window], now: float, each: bool) -> list[float]:
        client = self.client
        script = registered(client, _SCRIPTS[each])
        keys = [window_key(w.name) for w in windows]
        return [int(ms) / 1000 for ms in script(keys=keys, args=take_args(windows, now), client=client)]


class LocalCounter:
    """The same on one process: each window's recent accepted times under a lock."""

    MAX_WINDOWS = 100_000  # past this many, the idle ones are forgotten

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._times: dict[str, deque[int]] = {}
        self._periods: dict[str, int] = {}  # each window's period (ms), to forget it when idle

    def take(self, windows: Sequence[Window], now: float, each: bool) -> list[float]:
        now_ms = int(now * 1000)
        with self._lock:
            if len(self._times) > self.MAX_WINDOWS:  # forget the windows whose events are all past
                self._times = {k: v for k, v in self._times.items() if v[0] + self._periods[k] > now_ms}
                self._periods = {k: self._periods[k] for k in self._times}
            waits = []
            for w in windows:
                times = self._times.get(w.name)
                wait = 0
                if w.limit < 1:
                    wait = w.period * 1000
                elif times is not None and len(times) >= w.limit:
                    oldest = times[w.limit - 1]
                    wait = max(0, oldest + w.period * 1000 - now_ms)
                waits.append(wait)
            for w, wait in zip(windows, waits, strict=True):
                if wait == 0 and (each or not any(waits)):
                    times = self._times.setdefault(w.name, deque())
                    self._periods[w.name] = w.period * 1000
                    times.appendleft(now_ms)
                    while len(times) > w.limit:
                        times.pop()
            return [ms / 1000 for ms in waits]

    def reset(self) -> None:
        with self._lock:
            self._times.clear()
            self._periods.clear()


_redis_counter = RedisCounter()
local_counter = LocalCounter()


def take(windows: Sequence[Window], now: float | None = None, *, each: bool = False) -> list[float]:
    """One event in every window if each has room, else in none (``each``: in every window
    that has room); each window's wait in seconds (0: room). One round trip on Redis; raises
    the store's errors."""
    if not windows:
        return []
    now = clock() if now is None else now
    if settings.REDIS_URL:
        return _redis_counter.take(windows, now, each)
    return local_counter.take(windows, now, each)
