"""Named leaderboards at scale (``make bench-boards``): 1,000 boards and 1,000,000 records
in one board, on PostgreSQL + Redis, measured in-process (server time, no network).

    python bench/phase_boards.py [--records N] [--database-url URL] [--redis-url URL]

It drops and recreates the database it is given (default ``scoreboard_bench_boards``)
and flushes the Redis database it is given (default DB 13): never point it at data you
keep. Reads: pages anywhere in the big board (first, cursors at random depths, limit 50
and 1000), around-me, the list of 1,000 boards; writes: ``POST /leaderboards/{key}/records``
of a game server. Prints a table and writes ``bench-results/boards-<time>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":
    # The repository instead of this script's folder: bench/profile.py would shadow the
    # standard library's ``profile`` (which cProfile imports).
    sys.path[0] = str(ROOT)

from bench.database import BENCH_ENV  # noqa: E402


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--boards", type=int, default=1_000)
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:5432/scoreboard_bench_boards"
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database and Redis set of the previous run (no seeding)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="then profile page reads and record writes (cProfile, top functions by own time)",
    )
    parser.add_argument(
        "--writes-only",
        action="store_true",
        help="the baselines and the record writes only (no page reads): to compare writes quickly",
    )
    return parser.parse_args()


def _prepare(args: argparse.Namespace) -> None:
    url = urlparse(args.database_url)
    name, pg = url.path.lstrip("/"), ["-h", url.hostname or "127.0.0.1", "-U", url.username or "postgres"]
    if not args.reuse:
        subprocess.run(["dropdb", *pg, "--if-exists", "--force", name], check=True)
        subprocess.run(["createdb", *pg, name], check=True)
    os.environ.update(
        {
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            **{name: BENCH_ENV[name] for name in ("SECRET_KEY", "JWT_SECRET", "ACTION_TOKEN_SECRETS")},
            "RATE_LIMIT_IP_PER_HOUR": "100000000",
            "RATE_LIMIT_LEADERBOARD_PER_MINUTE": "100000000",
            "BOARD_RESET_CLOCK": "false",
            "DJANGO_SETTINGS_MODULE": "scoreboard_project.settings",
            "ALLOWED_HOSTS": "localhost,127.0.0.1,testserver",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    if not args.reuse:
        import redis

        redis.Redis.from_url(args.redis_url, socket_timeout=60).flushdb(asynchronous=True)


def stats(samples: list[tuple[float, float]]) -> dict[str, float]:
    """Wall-clock percentiles and the mean CPU of this process per operation (ms): the CPU
    figure holds on a loaded machine, where waiting for a core inflates the wall clock."""
    ms = sorted(wall * 1000 for wall, _ in samples)
    pick = lambda q: ms[min(len(ms) - 1, int(q * len(ms)))]  # noqa: E731
    return {
        "n": len(ms),
        "p50": round(statistics.median(ms), 2),
        "p95": round(pick(0.95), 2),
        "p99": round(pick(0.99), 2),
        "max": round(ms[-1], 2),
        "cpu": round(1000 * sum(cpu for _, cpu in samples) / len(samples), 3),
    }


def timed(call) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of one request."""
    cpu, started = time.process_time(), time.perf_counter()
    response = call()
    elapsed, used = time.perf_counter() - started, time.process_time() - cpu
    assert response.status_code == 200, response.content[:300]
    return elapsed, used


def _bulk_users(count: int, now: datetime) -> None:
    """``count`` players in one INSERT ... SELECT: every column gets its model default, so
    the statement follows the model when fields are added."""
    from django.db import connection

    from accounts.models import User

    columns, values, params = [], [], []
    for field in User._meta.concrete_fields:
        columns.append(connection.ops.quote_name(field.column))
        if field.name == "id":
            values.append("gen_random_uuid()")
        elif field.name == "username":
            values.append("'p' || lpad(i::text, 7, '0')")
        elif field.name == "password":
            values.append("'!'")
        else:
            values.append("%s")
            default = now if field.name in ("date_joined", "score_updated_at") else field.get_default()
            params.append(field.get_db_prep_save(default, connection))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {User._meta.db_table} ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM generate_series(1, %s) AS i",
            [*params, count],
        )


def seed_boards(*, boards: int, records: int) -> dict:
    """``boards`` boards, the last one ``big`` with ``records`` players' records (straight SQL)."""
    from django.db import connection

    from accounts.models import User
    from leaderboard.boards import services
    from leaderboard.boards.models import Leaderboard, LeaderboardRecord

    started = time.perf_counter()
    now = datetime.now(UTC)
    for index in range(boards - 1):
        services.board_create(key=f"board-{index:04d}", name=f"Board {index}", operator="best")
    big = services.board_create(key="big", name="Big", operator="best", starts_at=now - timedelta(days=1))
    boards_s = time.perf_counter() - started
    _bulk_users(records, now)
    record = LeaderboardRecord._meta
    with connection.cursor() as cursor:
        # Scores 0..999,999 (many ties on a million players), reached at random moments.
        cursor.execute(
            f"INSERT INTO {record.db_table} (board_id, period_start, user_id, score, rank_score, reached_at, "
            f"metadata, updated_at) SELECT %s, %s, id, s, s, %s - random() * interval '10 days', '{{}}'::jsonb, %s "
            f"FROM (SELECT id, floor(random() * 1000000)::bigint AS s FROM {User._meta.db_table} "
            f"WHERE username LIKE 'p%%') AS players",
            [big.pk, big.period_anchor, now, now - timedelta(hours=1)],
        )
        cursor.execute("ANALYZE")
    Leaderboard.objects.filter(pk=big.pk).update(has_records=True)
    return {"boards_s": round(boards_s, 1), "records_s": round(time.perf_counter() - started - boards_s, 1)}


def big_board_sample(samples: int, *, loaded: bool = False) -> tuple[dict, list, list[str]]:
    """Load the big board's Redis set from PostgreSQL (unless ``loaded`` and ready), then pick
    ``samples`` random records and a signed cursor after each: ({"redis_load_s"}, records, cursors)."""
    from leaderboard.boards import selectors, store
    from leaderboard.boards.cursors import cursor_encode
    from leaderboard.boards.models import LeaderboardRecord
    from leaderboard.boards.redis_pages import Position
    from leaderboard.periods import to_micros

    target = selectors.target_for("big")
    started = time.perf_counter()
    ready = loaded and store.redis_board(target.board.pk, target.period) is not None
    assert ready or store.rebuild(target.board.pk, target.period, wait=True)
    loading = {"redis_load_s": round(time.perf_counter() - started, 1)}
    records = list(
        LeaderboardRecord.objects.filter(board=target.board)
        .order_by("?")
        .values_list("user_id", "rank_score", "reached_at")[:samples]
    )
    cursors = [
        cursor_encode(
            board_key="big", period_id=target.period_id, after=Position(rs, to_micros(at), str(uid))
        )
        for uid, rs, at in records
    ]
    return loading, records, cursors


def _measure(args: argparse.Namespace) -> dict:
    from rest_framework.test import APIClient

    # As in an app process: importing the ASGI application freezes what start-up built
    # (``gc.freeze``). Without it, full garbage collections walk every start-up object, and
    # the tail of a page of 1,000 (p95, p99) was theirs: p95 92-122 ms against 26-36 here.
    import scoreboard_project.asgi  # noqa: F401
    from accounts.services import service_account_create

    client = APIClient()
    results, records, cursors = big_board_sample(args.samples, loaded=args.reuse)
    path = "/api/v1/leaderboards/big/records"
    timed(lambda: client.get(path))  # warm-up: connections, scripts
    timed(lambda: client.get("/api/v1/leaderboards"))  # warm-up: loads the global board (1M players)
    # Baselines on the same machine at the same moment: the framework alone, one small query.
    results["baseline: GET /healthz"] = stats([timed(lambda: client.get("/healthz")) for _ in range(100)])
    results["baseline: GET /actions/types"] = stats(
        [timed(lambda: client.get("/api/v1/actions/types")) for _ in range(100)]
    )
    if not args.writes_only:
        results.update(_reads(args, client, path, records, cursors))
    _, token = service_account_create(name="bench-game-server")
    game = APIClient()
    game.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    # Two kinds of writes on different players: one point more (passes about one player),
    # and a random score (most rise far and pass 100 players, each sent rank:overtaken).
    half = len(records) // 2
    results["record write (POST, best), +1"] = stats(
        [
            timed(
                lambda uid=uid, rs=rs: game.post(path, {"userId": str(uid), "score": rs + 1}, format="json")
            )
            for uid, rs, _ in records[half:]
        ]
    )
    results["record write (POST, best), random score"] = stats(
        [
            timed(
                lambda uid=uid: game.post(
                    path, {"userId": str(uid), "score": random.randrange(2_000_000)}, format="json"
                )
            )
            for uid, _, _ in records[:half]
        ]
    )
    # The same writes through the ASGI application, to the answer: the server's own time to
    # answer, without the work done after it (``after_response``), which the client above waits for.
    from bench.phase_boards_api import answer_times

    users = [str(uid) for uid, _, _ in records]
    results["record write, random score, to the answer (ASGI app)"] = stats(
        asyncio.run(answer_times(half, token, users))
    )
    if args.profile and not args.writes_only:
        _profile("page reads", lambda: [client.get(path, {"cursor": c}) for c in cursors])
    if args.profile:
        _profile(
            "record writes",
            lambda: [
                game.post(path, {"userId": str(uid), "score": random.randrange(2_000_000)}, format="json")
                for uid, _, _ in records
            ],
        )
    return results


def _profile(name: str, run) -> None:
    import cProfile
    import pstats

    # This thread's CPU time, not the wall clock: on a loaded machine waiting for a core (and
    # for PostgreSQL and Redis) would hide where the request's own CPU goes.
    profiler = cProfile.Profile(time.thread_time)
    profiler.runcall(run)
    Path("bench-results").mkdir(exist_ok=True)
    profiler.dump_stats(f"bench-results/profile-{name.replace(' ', '-')}.prof")  # for pstats / snakeviz
    print(f"--- {name}: top 25 by own CPU time (this thread), then by cumulative CPU time")
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(45)


def _reads(args: argparse.Namespace, client, path: str, records: list, cursors: list) -> dict:
    from rest_framework.test import APIClient

    from accounts.models import User
    from accounts.tokens import issue_token_pair

    results = {}
    results["read first page, limit 50"] = stats(
        [timed(lambda: client.get(path)) for _ in range(args.samples)]
    )
    results["read any page (random cursor), limit 50"] = stats(
        [timed(lambda c=c: client.get(path, {"cursor": c})) for c in cursors]
    )
    results["read any page (random cursor), limit 1000"] = stats(
        [timed(lambda c=c: client.get(path, {"cursor": c, "limit": 1000})) for c in cursors[:100]]
    )
    players = User.objects.in_bulk([uid for uid, _, _ in records[:100]])
    around = []
    me = APIClient()  # one client: a new one loads the middleware again (WhiteNoise scans every static file)
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token_pair(players[records[0][0]]).access}")
    me.get(path + "/around-me", {"radius": 5})  # warm-up: the middleware, the script
    for uid, _, _ in records[:100]:
        me.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token_pair(players[uid]).access}")
        around.append(timed(lambda uid=uid: me.get(path + "/around-me", {"radius": 5})))
    results["around-me, radius 5"] = stats(around)
    results["list 1,000 boards"] = stats(
        [timed(lambda: client.get("/api/v1/leaderboards")) for _ in range(30)]
    )
    return results


def main() -> None:
    args = _args()
    _prepare(args)
    seeded = {} if args.reuse else seed_boards(boards=args.boards, records=args.records)
    results = {"records": args.records, "boards": args.boards, "seeded": seeded, **_measure(args)}
    print(f"{'measure':45} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9} {'max ms':>9} {'CPU ms/op':>10}")
    for name, value in results.items():
        if isinstance(value, dict) and "p50" in value:
            print(
                f"{name:45} {value['p50']:9.2f} {value['p95']:9.2f} {value['p99']:9.2f} {value['max']:9.2f}"
                f" {value['cpu']:10.3f}"
            )
    print({k: v for k, v in results.items() if not (isinstance(v, dict) and "p50" in v)})
    out = ROOT / "bench-results" / f"boards-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
