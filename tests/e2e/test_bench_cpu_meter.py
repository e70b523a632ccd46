"""The bench's CPU meter counts processes born inside its window.

PostgreSQL's connection pools open backends under load, after a phase's meter started; a
meter that only read the processes it listed at the start reported PostgreSQL at 9 % of a
core in the flows phase while it used about 30 %.
"""

from __future__ import annotations

import subprocess
import sys
import time

from bench.cpu import CpuMeter

BURN = (
    "import sys, time\n"
    "end = time.process_time() + 0.3\n"
    "while time.process_time() < end: pass\n"
    "print(time.process_time(), flush=True)\n"
    "time.sleep(30)\n"
)


def _burner() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", BURN], stdout=subprocess.PIPE, text=True)


def test_a_process_started_inside_the_window_is_counted():
    children: list[int] = []
    started = time.perf_counter()
    with CpuMeter(lambda: {"burner": list(children)}) as meter:
        child = _burner()
        children.append(child.pid)
        burnt = float(child.stdout.readline())  # its CPU so far, all of it inside the window
    wall = time.perf_counter() - started
    child.kill()
    child.wait()
    counted = meter.percent["burner"] / 100 * wall
    assert counted >= 0.8 * burnt, (counted, burnt)  # the meter's percent is rounded


def test_a_fixed_list_still_measures_only_the_window():
    child = _burner()
    child.stdout.readline()  # its CPU is spent before the window
    with CpuMeter({"burner": [child.pid]}) as meter:
        time.sleep(0.5)
    child.kill()
    child.wait()
    assert meter.percent["burner"] <= 5
