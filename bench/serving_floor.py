"""What the serving path adds to a request: the production shape at low load.

    .venv/bin/python bench/serving_floor.py [--records 200000] [--rates 10,25,50,100]

On a fresh bench database: a few requests sent one at a time (10 ms apart) straight to
one daphne process and through nginx (client latency), then a game server's record
writes offered at each rate through nginx, with nginx's upstream time of each write
(the server time an outside client cannot see). Compare with the in-process figures of
``make bench-boards`` to see the serving path's share (docs/benchmarks.md, fifth session).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parents[1])  # the repository, not bench/

from bench import loadgen, phase_boards_api, report  # noqa: E402
from bench.database import flush_redis, reset_database, server_env  # noqa: E402
from bench.servers import HOST, Shape  # noqa: E402

RECORDS = re.compile(r"/api/v1/leaderboards/[^/]+/records")
ALONE = ("/healthz", "/api/v1/actions/types", "/api/v1/leaderboard?limit=10")


def _summary(values: list[float]) -> str:
    return f"{report.percentiles_text(loadgen.summary(values))} (n={len(values)})"


async def _one_at_a_time(port: int, path: str, count: int = 300) -> list[float]:
    conn = await loadgen.Connection.open(HOST, port)
    took = []
    try:
        for _ in range(count):
            started = time.perf_counter()
            status, _ = await conn.exchange(loadgen.get(path, f"{HOST}:{port}"))
            if status != 200:
                raise RuntimeError(f"{path}: {status}")
            took.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.01)
    finally:
        conn.close()
    return took[20:]  # after the warm-up


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--rates", default="10,25,50,100")
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    env = server_env()
    reset_database(env)
    flush_redis()
    board = phase_boards_api.seed(env, boards=20, records=args.records, samples=300, writes=5)
    with Shape(env, post_times=True) as shape:
        for name, port in (("daphne A", shape.apps[0].port), ("nginx", shape.proxy.port)):
            for path in ALONE:
                print(
                    f"one at a time via {name:8} {path:32} {_summary(asyncio.run(_one_at_a_time(port, path)))}"
                )
        host = f"{HOST}:{shape.proxy.port}"
        for rate in (float(r) for r in args.rates.split(",")):
            mark = shape.proxy.post_times_mark()
            result = asyncio.run(
                loadgen.open_loop(
                    HOST,
                    shape.proxy.port,
                    phase_boards_api.write_request(host, board["token"], board["users"]),
                    rate=rate,
                    seconds=args.seconds,
                )
            )
            if result.errors:
                print(f"record writes at {rate:g}/s: {result.errors} errors")
                return 1
            upstream = shape.proxy.post_times(mark, RECORDS)
            print(f"record writes at {rate:g}/s: server time (nginx upstream) {_summary(upstream)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
