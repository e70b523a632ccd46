"""CPU used by processes between two points in time, from /proc (Linux)."""

from __future__ import annotations

import os
import time

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
    """``with CpuMeter({"A": [pid], ...}) as meter: ...`` then ``meter.percent`` per name."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = groups
        self.percent: dict[str, float] = {}

    def _sample(self) -> dict[str, float]:
        return {name: sum(cpu_seconds(pid) for pid in pids) for name, pids in self.groups.items()}

    def __enter__(self) -> CpuMeter:
        self._start, self._at = self._sample(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.perf_counter() - self._at
        end = self._sample()
        self.percent = {
            name: round(100 * (end[name] - self._start[name]) / wall, 0) if wall else 0.0
            for name in self.groups
        }
