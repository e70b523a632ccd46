"""Serving shapes side by side: one app process each, same database, same requests.

    .venv/bin/python bench/shapes.py [--seconds 6] [--connections 16] [--shapes asgi,wsgi,gunicorn]

Shapes: ``asgi`` (daphne, Django's ASGI handler: the shape before), ``wsgi`` (daphne, Django's
WSGI handler on a persistent thread pool inside the ASGI app: the production shape),
``gunicorn`` (gunicorn gthread, WSGI), ``uvicorn`` (uvicorn, the same ASGI app as ``wsgi``),
``nofast`` (``wsgi`` without the event-loop answer to ``GET /leaderboard``, ``leaderboard/fast_read.py``).
For each: the closed-loop ceiling of ``/healthz`` (a trivial Django view through the whole
middleware stack) and of ``GET /api/v1/leaderboard``, with the server's CPU. The shapes run
one after another, back to back; repeat with ``--rounds`` to see the noise.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import loadgen  # noqa: E402
from bench.cpu import CpuMeter  # noqa: E402
from bench.database import fresh_demo_stores  # noqa: E402
from bench.servers import HOST, Daphne, Gunicorn, Server, Uvicorn  # noqa: E402

PATHS = {"trivial": "/healthz", "leaderboard": "/api/v1/leaderboard?limit=10"}


def make_server(shape: str, env: dict[str, str], threads: int) -> Server:
    if shape == "asgi":
        return Daphne({**env, "HTTP_HANDLER": "asgi"}, name="asgi")
    if shape == "wsgi":
        return Daphne({**env, "HTTP_HANDLER": "wsgi", "WSGI_THREADS": str(threads)}, name="wsgi")
    if shape == "nofast":
        return Daphne(
            {**env, "HTTP_HANDLER": "wsgi", "WSGI_THREADS": str(threads), "LEADERBOARD_FAST_READS": "false"},
            name="nofast",
        )
    if shape == "uvicorn":
        return Uvicorn({**env, "HTTP_HANDLER": "wsgi", "WSGI_THREADS": str(threads)}, name="uvicorn")
    if shape == "gunicorn":
        return Gunicorn(env, threads=threads, name="gunicorn")
    raise SystemExit(f"unknown shape {shape}")


async def measure(server: Server, path: str, args: argparse.Namespace) -> dict[str, object]:
    make = lambda _i: loadgen.get(path, f"{HOST}:{server.port}")  # noqa: E731
    await loadgen.closed_loop(HOST, server.port, make, connections=args.connections, seconds=1.0)  # warm-up
    with CpuMeter({"server": server.pids()}) as meter:
        result = await loadgen.closed_loop(
            HOST, server.port, make, connections=args.connections, seconds=args.seconds
        )
    row = loadgen.describe(result)
    cpu_ms = round(10 * meter.percent["server"] / row["rate"], 2) if row["rate"] else None
    return {**row, "cpu": meter.percent["server"], "cpuMs": cpu_ms}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--shapes", default="asgi,wsgi,gunicorn")
    args = parser.parse_args()
    env = fresh_demo_stores()
    print(
        f"{'round':5s} {'shape':9s} {'path':12s} {'req/s':>7s} {'p50':>6s} {'p99':>6s} {'err':>4s} {'cpu%':>5s} {'ms CPU/req':>10s}"
    )
    for rnd in range(1, args.rounds + 1):
        for shape in args.shapes.split(","):
            server = make_server(shape, env, args.threads)
            try:
                server.start()
                server.wait_ready(path="/readyz")
                for label, path in PATHS.items():
                    row = asyncio.run(measure(server, path, args))
                    print(
                        f"{rnd:<5d} {shape:9s} {label:12s} {row['rate']!s:>7s} {row['p50']!s:>6s} "
                        f"{row['p99']!s:>6s} {row['errors']!s:>4s} {row['cpu']!s:>5s} {row['cpuMs']!s:>10s}",
                        flush=True,
                    )
            finally:
                server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
