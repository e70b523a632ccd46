"""What machine a benchmark ran on, for the tables it prints."""

from __future__ import annotations


def cpu_model() -> str:
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "?"
