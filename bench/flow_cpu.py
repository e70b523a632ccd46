# ruff: noqa: E402 - the script directory leaves sys.path before the stdlib imports (bench/profile.py)
"""CPU per flow in one process, through Django's WSGI handler (what each app process runs per request).

    BENCH_DATABASE=... BENCH_REDIS_DB=... .venv/bin/python bench/flow_cpu.py [--players 200] [--rounds 3] [--profile]

On a fresh bench database, ``leaders`` players far ahead (the top 10 of ``make bench``
after its fan-out phase), then ``players`` players each request one action (``/actions/request``),
then, a little over the type's minimum later, complete it with a valid proof
(``/actions/complete``); ``rounds`` times. Prints the process CPU per request and per
completion (``time.process_time``: all threads of this process, so the after-commit work
of a completion counts too). ``--profile`` adds a cProfile of the last round, by own time.
"""

from __future__ import annotations

import sys

sys.path[:] = [p for p in sys.path if not p.endswith("bench")]  # bench/profile.py would shadow the stdlib's

import argparse
import cProfile
import hashlib
import hmac
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import players as bench_players
from bench.database import flush_redis, reset_database, server_env


def _environ(method: str, path: str, token: str, body: bytes) -> dict:
    return {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8080",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "5000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "HTTP_X_FORWARDED_FOR": "127.0.0.1",
    }


def _call(app, method: str, path: str, token: str, payload: dict) -> tuple[int, dict]:
    status: list[str] = []
    result = app(
        _environ(method, path, token, json.dumps(payload).encode()), lambda s, h, e=None: status.append(s)
    )
    body = b"".join(result)
    result.close()
    return int(status[0].split()[0]), json.loads(body)


def _proof(issued: dict) -> dict:
    ms = 1100
    checksum = hmac.new(
        bytes.fromhex(issued["proofKey"]), f"{issued['actionId']}:{ms}".encode(), hashlib.sha256
    ).hexdigest()
    return {"completionTime": ms, "checksum": checksum}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--dump", metavar="FILE", help="with --profile, also write the pstats file here")
    parser.add_argument(
        "--leaders",
        type=int,
        default=10,
        help="players holding the top 10 before the flows (as after make bench's fan-out phase)",
    )
    args = parser.parse_args()
    env = server_env()
    reset_database(env)
    flush_redis()
    team = bench_players.create(env, "cpu", args.players)
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "scoreboard_project.settings"
    import django
    from django.core.handlers.wsgi import WSGIHandler

    django.setup()
    app = WSGIHandler()
    if args.leaders:
        from leaderboard.services import score_history_record

        for leader in bench_players.create(env, "lead", args.leaders):
            from accounts.models import User

            score_history_record(
                user=User.objects.get(pk=leader.id), increment=100_000, action_type="COMPLETE_LEVEL"
            )
    totals = {"request": [0.0, 0], "complete": [0.0, 0]}
    profiler = cProfile.Profile(time.thread_time)  # CPU, not wall time
    for round_ in range(args.rounds):
        last = args.profile and round_ == args.rounds - 1
        issued = []
        cpu = time.process_time()
        if last:
            profiler.enable()
        for player in team:
            status, body = _call(
                app, "POST", "/api/v1/actions/request", player.token, {"actionType": "COMPLETE_LEVEL"}
            )
            assert status == 201, body
            issued.append((player, body["data"]))
        if last:
            profiler.disable()
        if round_:  # the first round warms up
            totals["request"][0] += time.process_time() - cpu
            totals["request"][1] += len(team)
        time.sleep(1.15)
        cpu = time.process_time()
        if last:
            profiler.enable()
        for player, data in issued:
            status, body = _call(
                app,
                "POST",
                "/api/v1/actions/complete",
                player.token,
                {"actionToken": data["actionToken"], "actionId": data["actionId"], "proof": _proof(data)},
            )
            assert status == 200, body
        if last:
            profiler.disable()
        time.sleep(0.3)  # after-commit work on other threads
        if round_:
            totals["complete"][0] += time.process_time() - cpu
            totals["complete"][1] += len(team)
        time.sleep(1.0)  # the per-player one-completion-a-second limit
    per = {k: 1000 * v[0] / v[1] for k, v in totals.items() if v[1]}
    print(
        f"CPU per request {per['request']:.2f} ms, per complete {per['complete']:.2f} ms, "
        f"per flow {per['request'] + per['complete']:.2f} ms; load {os.getloadavg()[0]:.1f}"
    )
    if args.profile:
        stats = pstats.Stats(profiler)
        if args.dump:
            stats.dump_stats(args.dump)
        stats.sort_stats("tottime").print_stats(40)
        stats.sort_stats("cumulative").print_stats(60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
