"""CPU used by processes between two points in time, from /proc (Linux)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

TICK = os.sysconf("SC_CLK_TCK")


SELF = 0  # stands for this process and the children it waited for (the socket clients)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` (0.0 once it is gone)."""
    if pid == SELF:
        times = os.times()
        return times.user + times.system + times.children_user + times.children_system
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


class CpuMeter:
    """``with CpuMeter({"A": [pid], ...}) as meter: ...`` then ``meter.percent`` per name.

    ``groups`` may also be a function that lists the processes: it is called at both ends,
    so a process born inside the window (a PostgreSQL backend the pool opens under load)
    counts all its CPU, which it used inside the window; one that ends inside it is lost.
    """

    def __init__(self, groups: dict[str, list[int]] | Callable[[], dict[str, list[int]]]) -> None:
        self._list = groups if callable(groups) else (lambda: groups)
        self.percent: dict[str, float] = {}

    def _sample(self) -> dict[str, dict[int, float]]:
        return {name: {pid: cpu_seconds(pid) for pid in pids} for name, pids in self._list().items()}

    def __enter__(self) -> CpuMeter:
        self._start, self._at = self._sample(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter() - self._at
        end = self._sample()
        self.percent = {}
        for name, pids in end.items():
            before = self._start.get(name, {})
            used = sum(max(0.0, cpu - before.get(pid, 0.0)) for pid, cpu in pids.items())
            self.percent[name] = round(100 * used / wall, 0) if wall else 0.0
