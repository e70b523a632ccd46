"""The benchmark's own stores: database ``scoreboard_bench`` and Redis DB 14, fresh every run.

``BENCH_DATABASE`` and ``BENCH_REDIS_DB`` name others (two people benchmarking on one machine).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
PG_URL = f"postgres://postgres@{HOST}:5432"
DATABASE = os.environ.get("BENCH_DATABASE", "scoreboard_bench")
REDIS_URL = f"redis://{HOST}:6379/{os.environ.get('BENCH_REDIS_DB', '14')}"

# Same values in both processes; fixed so that a bench run never depends on the caller's env.
BENCH_ENV = {
    "DATABASE_URL": f"{PG_URL}/{DATABASE}",
    "REDIS_URL": REDIS_URL,
    "SECRET_KEY": "bench-secret-key-0123456789-0123456789-0123456789",
    "JWT_SECRET": "bench-jwt-secret-0123456789-0123456789",
    "ACTION_TOKEN_SECRETS": "bench-action-one-0123456789-0123456789,bench-action-two-0123456789-0123456789",
    "LOG_LEVEL": "WARNING",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "localhost,127.0.0.1",
    "BROADCAST_INTERVAL_MS": "1000",
    "TRUSTED_PROXIES": "127.0.0.1",  # nginx in front, as in make serve
    # Raised for the whole run: every request comes from 127.0.0.1, and a bench player makes
    # a flow a second (the per-second limit stays at its default).
    "RATE_LIMIT_IP_PER_HOUR": "100000000",
    "RATE_LIMIT_LEADERBOARD_PER_MINUTE": "100000000",
    "RATE_LIMIT_ACTIONS_PER_MINUTE": "1000",
    "RATE_LIMIT_ACTIONS_PER_HOUR": "100000",
    "RATE_LIMIT_ACTIONS_PER_DAY": "1000000",
    "RATE_LIMIT_REQUESTS_PER_MINUTE": "1000",
    "WS_MAX_ANONYMOUS_PER_IP": "100000000",  # every benchmark socket comes from 127.0.0.1
}


# The serving tunables a run may set from the caller's environment, to compare settings.
SERVING_TUNABLES = ("WSGI_THREADS", "DB_POOL_MAX_SIZE", "DB_PREPARE_THRESHOLD")


def server_env() -> dict[str, str]:
    """A few basics of the caller's environment plus the bench values and the serving tunables set."""
    basics = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ", *SERVING_TUNABLES)
    return {**{k: os.environ[k] for k in basics if k in os.environ}, **BENCH_ENV}


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} not found on PATH (PostgreSQL client tools are needed)")
    return found


def reset_database(env: dict[str, str]) -> None:
    """A fresh ``scoreboard_bench`` every run (so every run measures the same thing), migrated."""
    pg = ["-h", HOST, "-U", "postgres"]
    subprocess.run([_tool("dropdb"), *pg, "--if-exists", "--force", DATABASE], check=True)
    subprocess.run([_tool("createdb"), *pg, DATABASE], check=True)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )


def flush_redis() -> None:
    """Only DB 14: the ranking, the rate-limit counters, the broadcast state of the bench."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    finally:
        client.close()


def fresh_demo_stores(players: int = 300) -> dict[str, str]:
    """The bench database reset, its Redis DB flushed and ``players`` demo players seeded; the server env."""
    env = server_env()
    reset_database(env)
    flush_redis()
    subprocess.run(
        [sys.executable, "manage.py", "seed_demo", "--players", str(players)],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return env


def psql_value(sql: str, *, timeout: float = 60) -> str:
    """What ``sql`` prints on the bench database (unaligned, tuples only); raises on failure."""
    return subprocess.run(
        [_tool("psql"), "-h", HOST, "-U", "postgres", "-d", DATABASE, "-tA", "-c", sql],
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
    ).stdout.strip()


def store_pids() -> dict[str, list[int]]:
    """PostgreSQL backends connected to the bench database, and the Redis server (shared with
    whatever else uses it on this machine)."""
    found: dict[str, list[int]] = {}
    try:
        listed = psql_value(
            f"SELECT pid FROM pg_stat_activity WHERE datname = '{DATABASE}' AND pid <> pg_backend_pid()",
            timeout=10,
        )
        found["postgres"] = [int(p) for p in listed.split()]
    except (OSError, subprocess.SubprocessError, RuntimeError):
        found["postgres"] = []
    client = redis.Redis.from_url(REDIS_URL)
    try:
        found["redis"] = [int(client.info("server")["process_id"])]
    except (redis.RedisError, KeyError):
        found["redis"] = []
    finally:
        client.close()
    return found
