"""Anti-cheat efficacy benchmark: a simulated population against the production shape.

``make anticheat-bench`` (or ``.venv/bin/python -m bench.anticheat.run``): a fresh
database ``scoreboard_anticheat_bench`` and Redis DB 13 (both overridable), two daphne
processes, then 20 scripted bots (four signature families), 100 human-like players (a
fifth of them fast) and 5 "mimic" bots (reported apart), all through the public HTTP
API with valid proofs and inside every per-user limit. Prints the table of
docs/anticheat.md and writes it as JSON to ``bench-results/anticheat-<time>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.anticheat.families import population  # noqa: E402
from bench.anticheat.population import run_population  # noqa: E402
from bench.anticheat.report import render, rows, summary  # noqa: E402
from bench.anticheat.stack import RAISED, AnticheatStack  # noqa: E402
from bench.machine import cpu_model  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bots", type=int, default=20, help="signature bots, spread over four families")
    parser.add_argument("--humans", type=int, default=100)
    parser.add_argument("--mimics", type=int, default=5, help="human-mimicking bots, reported apart")
    parser.add_argument("--bot-actions", type=int, default=24)
    parser.add_argument("--human-actions", type=int, default=30)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--max-seconds", type=float, default=900)
    parser.add_argument(
        "--database", default=os.environ.get("ANTICHEAT_BENCH_DATABASE", "scoreboard_anticheat_bench")
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("ANTICHEAT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    )
    return parser.parse_args()


def machine() -> str:
    return f"{cpu_model()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def main() -> int:
    args = parse_args()
    families = population(bots=args.bots, humans=args.humans, mimics=args.mimics, seed=args.seed)
    print(f"anticheat-bench: {len(families)} players, seed {args.seed}, machine: {machine()}", flush=True)
    print(
        f"raised for the bench (all traffic from 127.0.0.1): {RAISED}; per-user limits: defaults", flush=True
    )
    started = time.monotonic()
    # The baselines refresh every 30 s here (default 300) so that a 10-minute run sees some.
    with AnticheatStack(
        database=args.database,
        redis_url=args.redis_url,
        log_dir=ROOT / "bench-results",
        extra_env={"ANTICHEAT_BASELINE_REFRESH_SECONDS": "30"},
    ) as stack:
        outcomes = asyncio.run(
            run_population(
                families,
                stack.bases,
                stack.admin_token,
                bot_actions=args.bot_actions,
                human_actions=args.human_actions,
                max_seconds=args.max_seconds,
            )
        )
    print(render(outcomes))
    print(f"wall time {time.monotonic() - started:.0f} s")
    results = ROOT / "bench-results"
    results.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (results / f"anticheat-{stamp}.json").write_text(
        json.dumps(
            {"seed": args.seed, "machine": machine(), "rows": rows(outcomes), "summary": summary(outcomes)},
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
