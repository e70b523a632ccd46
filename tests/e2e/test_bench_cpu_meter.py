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

BURN = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass\n"


def test_a_process_started_inside_the_window_is_counted():
    children: list[int] = []
    with CpuMeter(lambda: {"burner": list(children)}) as meter:
        child = subprocess.Popen([sys.executable, "-c", BURN + "time.sleep(5)"])
        children.append(child.pid)
        time.sleep(1.0)  # 0.4 s of CPU, then asleep until after the meter reads it
    child.kill()
    child.wait()
    assert 25 <= meter.percent["burner"] <= 60  # 0.4 s of CPU (plus start-up) over ~1 s


def test_a_fixed_list_still_measures_only_the_window():
    child = subprocess.Popen([sys.executable, "-c", BURN + "time.sleep(5)"])
    time.sleep(1.0)  # its CPU is spent before the window
    with CpuMeter({"burner": [child.pid]}) as meter:
        time.sleep(0.5)
    child.kill()
    child.wait()
    assert meter.percent["burner"] <= 5
