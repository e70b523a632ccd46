"""End-to-end benchmark of the production shape, through its one public address.

``make bench`` (``.venv/bin/python bench/run.py``) recreates the database ``scoreboard_bench``
on PostgreSQL 127.0.0.1:5432, flushes Redis DB 14, creates the bench players, starts the
production shape of ``make serve`` (nginx in front of two daphne processes, see
docs/deployment.md) on a free port, then measures, one phase after another:

1. trivial view: the closed-loop ceiling of ``/healthz`` (Django and its middleware, no store);
2. reads: the ceiling of ``GET /api/v1/leaderboard``, then a constant offered rate (500/s);
3. fan-out: 1,000 then 10,000 ``/ws/leaderboard/live`` sockets opened at 1,000/s; score
   changes through the API; every delivery, latency from the commit, memory per socket;
4. flows (request, wait the minimum 1 s, complete): the maximum rate, then 70 % of it;
   every score read back through the API;
5. boards: 1,000 named boards, one with 200,000 records seeded straight in PostgreSQL and
   Redis; pages after cursors at random depths and a game server's record writes through
   nginx (open loop), the writes' server time measured in-process (bench/phase_boards_api.py;
   ``make bench-boards`` measures a 1,000,000-record board in-process);
6. pgbench: the service's own SQL for one flow, straight on PostgreSQL (the ceiling).

The CPU of every process (each app process, nginx, the bench database's PostgreSQL
backends, Redis, this load generator) is taken during every phase. Prints one table and
writes the JSON to ``bench-results/``; exits 1 when anything was lost or failed.
``--quick`` (``make bench-quick``, CI) runs every phase small, in under a minute.
Every phase is bounded in time; all processes are stopped on exit, Ctrl-C included.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import flows, loadgen, pgbench, phase_boards_api, phase_fanout, report  # noqa: E402
from bench.cpu import SELF, CpuMeter  # noqa: E402
from bench.database import BENCH_ENV, REDIS_URL, flush_redis, reset_database, server_env, store_pids  # noqa: E402
from bench.machine import cpu_model  # noqa: E402
from bench.players import create  # noqa: E402
from bench.servers import HOST, Daphne, Shape, Uvicorn  # noqa: E402

RESULTS = ROOT / "bench-results"
FULL = {
    "seconds": 8.0,
    "read_rate": 500.0,
    "fanout": [1000, 10000],
    "changes": 10,
    "flow_concurrency": 400,
    "flow_players": 1200,
    "pgbench_s": 10,
    "client_procs": 2,
    "boards": 1000,
    "board_records": 200_000,
    "board_read_rate": 200.0,
    "board_write_rate": 100.0,
    "board_writes_in_process": 300,
    "board_seconds": 8.0,
}
QUICK = {
    "seconds": 2.5,
    "read_rate": 150.0,
    "fanout": [200],
    "changes": 3,
    "flow_concurrency": 20,
    "flow_players": 60,
    "pgbench_s": 2,
    "client_procs": 1,
    "boards": 20,
    "board_records": 5000,
    "board_read_rate": 100.0,
    "board_write_rate": 50.0,
    "board_writes_in_process": 20,
    "board_seconds": 1.5,
}


def machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "loadavg": [round(v, 2) for v in os.getloadavg()],
    }


def read_request(host: str):
    paths = [
        f"/api/v1/leaderboard?period={p}&limit={n}"
        for p in ("all", "daily", "weekly", "monthly")
        for n in (10, 100)
    ]
    return lambda i: loadgen.get(paths[i % len(paths)], host)


async def phases(shape: Shape, env: dict[str, str], cfg: dict[str, Any], out: dict[str, Any]) -> None:
    def meter() -> CpuMeter:
        # Listed again at the end: the PostgreSQL backends the pools open under load count too.
        return CpuMeter(lambda: {**shape.pids(), **store_pids(), "loadgen": [SELF]})

    if "http" in cfg["phases"]:
        await http_phases(shape, cfg, out, meter)
    if "fanout" in cfg["phases"]:
        await fanout_phase(shape, env, cfg, out, meter)
    if "flows" in cfg["phases"]:
        await flow_phases(shape, env, cfg, out, meter)
    if "boards" in cfg["phases"]:
        await boards_phase(shape, env, cfg, out, meter)
    if "pgbench" in cfg["phases"]:
        print("[6/6] pgbench ceiling of the same SQL ...", flush=True)
        with meter() as cpu:
            out["pgbench"] = await asyncio.to_thread(pgbench.ceiling, seconds=cfg["pgbench_s"])
        out["pgbench"]["cpu"] = cpu.percent


async def http_phases(shape: Shape, cfg: dict[str, Any], out: dict[str, Any], meter) -> None:
    port, host, seconds = shape.proxy.port, f"{HOST}:{shape.proxy.port}", cfg["seconds"]
    print("[1/6] trivial view ceiling ...", flush=True)
    trivial = lambda _i: loadgen.get("/healthz", host)  # noqa: E731
    with meter() as cpu:
        result = await loadgen.closed_loop(HOST, port, trivial, connections=32, seconds=seconds)
    out["trivial"] = {**loadgen.describe(result), "cpu": cpu.percent}

    print("[2/6] reads: ceiling, then a constant rate ...", flush=True)
    with meter() as cpu:
        result = await loadgen.closed_loop(HOST, port, read_request(host), connections=32, seconds=seconds)
    out["readCeiling"] = {**loadgen.describe(result), "cpu": cpu.percent}
    with meter() as cpu:
        result = await loadgen.open_loop(
            HOST, port, read_request(host), rate=cfg["read_rate"], seconds=seconds
        )
    out["reads"] = {**loadgen.describe(result), "offeredRate": cfg["read_rate"], "cpu": cpu.percent}


async def fanout_phase(
    shape: Shape, env: dict[str, str], cfg: dict[str, Any], out: dict[str, Any], meter
) -> None:
    print("[3/6] fan-out ...", flush=True)
    fan_players = create(env, "fan", 12)
    out["fanout"] = []
    for count in cfg["fanout"]:
        print(f"  {count} sockets at 1,000/s, {cfg['changes']} changes", flush=True)
        with meter() as cpu:
            fan, _ = await phase_fanout.run(
                shape.http,
                shape.ws,
                fan_players,
                shape.pids(),
                sockets=count,
                rate=1000.0,
                changes=cfg["changes"],
                procs=cfg["client_procs"],
                spacing_s=1.25,
                client=cfg["ws_client"],
            )
        out["fanout"].append({**fan, "cpu": cpu.percent})


async def flow_phases(
    shape: Shape, env: dict[str, str], cfg: dict[str, Any], out: dict[str, Any], meter
) -> None:
    port, seconds = shape.proxy.port, cfg["seconds"]
    print("[4/6] flows: maximum rate, then 70 % of it ...", flush=True)
    pool = flows.Players(create(env, "flow", cfg["flow_players"]))
    with meter() as cpu:
        top = await flows.max_rate(HOST, port, pool, concurrency=cfg["flow_concurrency"], seconds=seconds)
    out["flowMax"] = {**top.describe(), "cpu": cpu.percent}
    rate = max(1.0, 0.7 * (top.completed / top.wall if top.wall else 1.0))
    mark = shape.proxy.post_times_mark()
    with meter() as cpu:
        at70 = await flows.at_rate(HOST, port, pool, rate=rate, seconds=seconds)
    out["flow70"] = {
        **at70.describe(),
        "offeredRate": round(rate, 1),
        "cpu": cpu.percent,
        "serverTime": {
            name: loadgen.summary(shape.proxy.post_times(mark, re.compile(f"/api/v1/actions/{name}")))
            for name in ("request", "complete")
        },
    }
    scored = {**top.scored, **at70.scored}
    out["flowVerification"] = await report.verify_scores(shape.http, scored)


async def boards_phase(
    shape: Shape, env: dict[str, str], cfg: dict[str, Any], out: dict[str, Any], meter
) -> None:
    port, host, seconds = shape.proxy.port, f"{HOST}:{shape.proxy.port}", cfg["board_seconds"]
    print(
        f"[5/6] boards: {cfg['boards']} boards, {cfg['board_records']:,} records in one, seeded ...",
        flush=True,
    )
    board = await asyncio.to_thread(
        phase_boards_api.seed,
        env,
        boards=cfg["boards"],
        records=cfg["board_records"],
        samples=300,
        writes=cfg["board_writes_in_process"],
    )
    print("  pages after random cursors, then record writes ...", flush=True)
    with meter() as cpu:
        result = await loadgen.open_loop(
            HOST,
            port,
            phase_boards_api.read_request(host, board["cursors"]),
            rate=cfg["board_read_rate"],
            seconds=seconds,
        )
    out["boardReads"] = {
        **loadgen.describe(result),
        "offeredRate": cfg["board_read_rate"],
        "cpu": cpu.percent,
    }
    mark = shape.proxy.post_times_mark()
    with meter() as cpu:
        result = await loadgen.open_loop(
            HOST,
            port,
            phase_boards_api.write_request(host, board["token"], board["users"]),
            rate=cfg["board_write_rate"],
            seconds=seconds,
        )
    out["boardWrites"] = {
        **loadgen.describe(result),
        "offeredRate": cfg["board_write_rate"],
        "cpu": cpu.percent,
        "serverTime": board["serverTime"],
        "answerTime": board.get("answerTime"),
        "proxiedServerTime": loadgen.summary(
            shape.proxy.post_times(mark, re.compile(r"/api/v1/leaderboards/[^/]+/records"))
        ),
    }
    out["boardSeed"] = {"boards": cfg["boards"], "records": cfg["board_records"], **board["seeded"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every phase small (CI), under a minute")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="hard limit on the phases")
    parser.add_argument(
        "--phases", default="http,fanout,flows,boards,pgbench", help="a subset, comma-separated"
    )
    parser.add_argument("--sockets", default="", help="fan-out sizes, comma-separated (default 1000,10000)")
    parser.add_argument(
        "--flow-concurrency", type=int, default=0, help="flows in flight at the maximum (default 400)"
    )
    parser.add_argument(
        "--board-read-rate", type=float, default=0, help="board pages offered per second (default 200)"
    )
    parser.add_argument(
        "--ws-client",
        default="raw",
        choices=["raw", "websockets"],
        help="fan-out socket clients: raw frames on asyncio protocols, or the websockets library",
    )
    parser.add_argument("--server", default="daphne", choices=["daphne", "uvicorn"], help="the app server")
    parser.add_argument(
        "--processes", type=int, default=2, help="app processes behind nginx (make serve's WEB_PROCESSES)"
    )
    args = parser.parse_args()
    cfg = {**(QUICK if args.quick else FULL), "phases": args.phases.split(","), "ws_client": args.ws_client}
    if args.flow_concurrency:
        cfg["flow_concurrency"] = args.flow_concurrency
    if args.board_read_rate:
        cfg["board_read_rate"] = args.board_read_rate
    if args.sockets:
        cfg["fanout"] = [int(n) for n in args.sockets.split(",")]
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM unwinds like Ctrl-C
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(exist_ok=True)
    out: dict[str, Any] = {
        "startedAt": stamp,
        "machine": machine(),
        "quick": args.quick,
        "config": cfg,
        "raisedLimits": {k: BENCH_ENV[k] for k in BENCH_ENV if k.startswith("RATE_LIMIT")},
    }
    started = time.perf_counter()
    env = server_env()
    reset_database(env)
    flush_redis()
    log_dir = RESULTS / f"{stamp}-logs"
    out["shape"] = f"nginx -> {args.processes} {args.server}"
    out["redisDb"] = int(REDIS_URL.rsplit("/", 1)[1])
    server = Uvicorn if args.server == "uvicorn" else Daphne
    with Shape(env, log_dir=log_dir, server=server, processes=args.processes, post_times=True) as shape:
        apps = ", ".join(f"{app.name} :{app.port}" for app in shape.apps)
        print(f"production shape at {shape.http}: nginx -> {args.server} {apps}", flush=True)
        asyncio.run(asyncio.wait_for(phases(shape, env, cfg, out), args.max_seconds))
    out["serverLogs"] = report.log_findings(log_dir)
    out["loadAfter"] = [round(v, 2) for v in os.getloadavg()]
    out["totalSeconds"] = round(time.perf_counter() - started, 1)
    problems = report.problems(out)
    out["problems"] = problems
    output = RESULTS / f"{stamp}{'-quick' if args.quick else ''}.json"
    output.write_text(json.dumps(out, indent=2, default=str))
    print(report.table(out))
    print(f"total {out['totalSeconds']} s; JSON: {output.relative_to(ROOT)}")
    if problems:
        print("FAILED: " + "; ".join(problems))
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; every process of the shape was stopped", file=sys.stderr)
        sys.exit(130)
