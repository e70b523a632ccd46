"""Profile one app process under a read load with py-spy (samples of the thread holding the GIL: where the CPU goes).

    .venv/bin/python bench/profile.py [--path /api/v1/leaderboard?limit=10] [--seconds 8] [--shape wsgi]

Writes bench-results/profile-<shape>.txt (collapsed stacks) and prints the summary of
``bench/profile_stacks.py``. Needs py-spy (``pip install py-spy``) and ptrace rights.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import loadgen  # noqa: E402
from bench.database import fresh_demo_stores  # noqa: E402
from bench.servers import BIN, HOST  # noqa: E402
from bench.shapes import make_server  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", default="/api/v1/leaderboard?limit=10")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--shape", default="wsgi")
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    env = fresh_demo_stores()
    out = ROOT / "bench-results" / f"profile-{args.shape}.txt"
    out.parent.mkdir(exist_ok=True)
    server = make_server(args.shape, env, 8)
    try:
        server.start()
        server.wait_ready(path="/readyz")
        pid = server.pids()[-1]
        spy = subprocess.Popen(
            [
                str(BIN / "py-spy"),
                "record",
                "-f",
                "raw",
                "-o",
                str(out),
                "--pid",
                str(pid),
                "--duration",
                str(int(args.seconds)),
                "--nonblocking",
                "--gil",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        make = lambda _i: loadgen.get(args.path, f"{HOST}:{server.port}")  # noqa: E731
        result = asyncio.run(
            loadgen.closed_loop(
                HOST, server.port, make, connections=args.connections, seconds=args.seconds + 1
            )
        )
        spy.wait(timeout=60)
        print(loadgen.describe(result))
    finally:
        server.stop()
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "profile_stacks.py"), str(out), "--top", "45"], check=False
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
