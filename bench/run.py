"""End-to-end benchmark on the production shape, through the public HTTP/WebSocket API only.

``make bench`` (or ``.venv/bin/python bench/run.py``) recreates the database
``scoreboard_bench`` on PostgreSQL 127.0.0.1:5432, flushes Redis DB 14, starts two daphne
processes on free 127.0.0.1 ports with the same environment, then runs:

1. fan-out: 1,000 ``/ws/leaderboard/live`` sockets (half per process), ~20 score changes
   completed on process A; time from the scoring response (and from the request) to the
   ``leaderboard:update`` on every socket, deliveries counted;
2. completion throughput: 200 players complete one action each, all at once, over both
   processes; completions/s, latency, errors, and every score read back;
3. leaderboard reads: a few clients GET /leaderboard for ~10 s.

RATE_LIMIT_IP_PER_HOUR and RATE_LIMIT_LEADERBOARD_PER_MINUTE are raised for the whole
run (every request comes from 127.0.0.1); every other setting is the default. Prints a
summary table and writes it as JSON to ``bench-results/<timestamp>.json``. The daphne
processes are stopped on exit, Ctrl-C and errors included.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import phase_fanout, phase_load  # noqa: E402
from bench.servers import BENCH_ENV, RAISED_LIMITS, BenchStack  # noqa: E402

RESULTS = ROOT / "bench-results"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--client-procs", type=int, default=1, help="processes holding the sockets")
    parser.add_argument("--spacing", type=float, default=1.25,
                        help="seconds between completions (> BROADCAST_INTERVAL_MS)")
    parser.add_argument("--players", type=int, default=200, help="players of the throughput phase")
    parser.add_argument("--connections", type=int, default=64, help="HTTP connection limit, throughput phase")
    parser.add_argument("--read-seconds", type=float, default=10.0)
    parser.add_argument("--read-workers", type=int, default=8)
    parser.add_argument("--max-seconds", type=float, default=290.0, help="hard limit on the three phases")
    return parser.parse_args()


def machine() -> dict[str, Any]:
    model = "?"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version(),
            "loadavg": [round(v, 2) for v in os.getloadavg()]}


def known_scores(players: list[Any], changes: list[phase_fanout.Change]) -> dict[str, int]:
    scores = {p.id: 0 for p in players}
    for change in changes:
        if change.new_score is not None:
            scores[change.player.id] = change.new_score
    return scores


async def phases(stack: BenchStack, args: argparse.Namespace) -> dict[str, Any]:
    servers = stack.servers
    print(f"[1/3] fan-out: {args.sockets} sockets, {args.changes} changes ...", flush=True)
    fanout, players, changes = await phase_fanout.run(
        servers, sockets=args.sockets, changes=args.changes, procs=args.client_procs, spacing_s=args.spacing)
    print(f"[2/3] completion throughput: {args.players} players ...", flush=True)
    throughput = await phase_load.throughput(servers, known_scores(players, changes), players=args.players,
                                             connections=args.connections)
    print(f"[3/3] leaderboard reads: {args.read_workers} clients, {args.read_seconds:.0f} s ...", flush=True)
    reads = await phase_load.reads(servers, seconds=args.read_seconds, workers=args.read_workers)
    return {"fanout": fanout, "throughput": throughput, "reads": reads}


def server_log_findings(stack: BenchStack) -> dict[str, Any]:
    """Warnings, errors and tracebacks the daphne processes wrote (LOG_LEVEL=WARNING)."""
    findings: dict[str, Any] = {}
    for server in stack.servers:
        lines = server.log.read_text(errors="replace").splitlines() if server.log.exists() else []
        flagged = [line for line in lines if any(k in line for k in ("ERROR", "Traceback", "WARNING", "CRITICAL"))]
        findings[server.name] = {"log": str(server.log.relative_to(ROOT)), "lines": len(lines),
                                 "flagged": len(flagged), "first": flagged[:5]}
    return findings


def fmt(stats: dict[str, Any]) -> str:
    return f"p50 {stats['p50']} / p99 {stats['p99']} / max {stats['max']} ms (min {stats['min']})"


def table(report: dict[str, Any]) -> str:
    m, f, t, r = report["machine"], report["fanout"], report["throughput"], report["reads"]
    v = t["verification"]
    rows = [
        f"machine    {m['nproc']} CPUs, {m['cpu']}; load {m['loadavg']} -> {report['loadAfter']}",
        f"shape      PostgreSQL {BENCH_ENV['DATABASE_URL']} + Redis {BENCH_ENV['REDIS_URL']}, 2 daphne;"
        f" raised: {', '.join(RAISED_LIMITS)}",
        f"fan-out    {f['sockets']} sockets ({f['socketsByServer']}), {f['changes']} changes,"
        f" {f['broadcastChanges']} broadcast in {f['distinctBoards']} boards;"
        f" delivered {f['delivered']}/{f['expected']}",
        f"  response -> receipt  {fmt(f['fromResponse'])}; negative {f['negative']}",
        f"  request  -> receipt  {fmt(f['fromRequest'])}",
        *(f"  by process {name}: response -> receipt {fmt(stats)}" for name, stats in f["byServer"].items()),
        f"  complete statuses {f['completionStatuses']}; socket errors {f['socketErrors']},"
        f" close codes {f['closeCodes']}, open at end {f['stillOpenAtEnd']}",
        f"throughput {t['completed']}/{t['players']} completed in {t['wallSeconds']} s ="
        f" {t['completionsPerSecond']}/s over {t['connections']} connections;"
        f" latency {fmt(t['completeLatency'])}",
        f"  statuses: request {t['requestStatuses']}, complete {t['completionStatuses']};"
        f" registration {t['registrationsPerSecond']}/s",
        f"  verified: users {v['userScoresRight']}/{v['userScoresChecked']} right, leaderboard top 100"
        f" {v['leaderboardWrong']} wrong, totalPlayers {v['totalPlayers']}/{v['expectedPlayers']} -> "
        f"{'OK' if v['ok'] else 'MISMATCH'}",
        f"reads      {r['requestsPerSecond']} req/s ({r['requests']} in {r['seconds']} s, {r['workers']} clients),"
        f" latency {fmt(r['latency'])}; statuses {r['statuses']}",
        "server log " + "; ".join(f"{n}: {x['flagged']} warning/error lines" for n, x in report["serverLogs"].items()),
    ]
    return "\n".join(rows)


def per_change(report: dict[str, Any]) -> str:
    lines = ["  #  player   status score  delivered  resp ms  response->receipt p50/p99/max  neg"]
    for row in report["fanout"]["perChange"]:
        s = row["fromResponse"]
        lines.append(f"{row['change']:3d}  {row['player']:8s} {row['status']:5d} {row['newScore']!s:>5s}"
                     f"  {row['delivered']:4d}/{row['expected']:<4d} {row['responseMs']:7.1f}"
                     f"  {s['p50']!s:>7s} {s['p99']!s:>7s} {s['max']!s:>7s}  {row['negative']:4d}")
    return "\n".join(lines)


def main() -> int:
    args = parse_args()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM unwinds like Ctrl-C
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(exist_ok=True)
    report: dict[str, Any] = {"startedAt": stamp, "machine": machine(), "args": vars(args),
                              "raisedLimits": {k: BENCH_ENV[k] for k in RAISED_LIMITS}}
    started = time.perf_counter()
    with BenchStack(RESULTS / f"{stamp}-logs") as stack:
        print(f"daphne A :{stack.servers[0].port}, B :{stack.servers[1].port}; database and Redis DB 14 fresh",
              flush=True)
        report.update(asyncio.run(asyncio.wait_for(phases(stack, args), args.max_seconds)))
    report["serverLogs"] = server_log_findings(stack)
    report["loadAfter"] = [round(v, 2) for v in os.getloadavg()]
    report["totalSeconds"] = round(time.perf_counter() - started, 1)
    output = RESULTS / f"{stamp}.json"
    output.write_text(json.dumps(report, indent=2, default=str))
    print(per_change(report))
    print(table(report))
    print(f"total {report['totalSeconds']} s; JSON: {output.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; the daphne processes were stopped", file=sys.stderr)
        sys.exit(130)
