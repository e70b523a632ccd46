"""The benchmark's own stack: database ``scoreboard_bench``, Redis DB 14, two daphne processes.

Everything listens on and talks to 127.0.0.1 only. The daphne processes run in their own
process groups and are stopped (SIGTERM, then SIGKILL) when the ``BenchStack`` context
exits, also on Ctrl-C or an exception.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import TracebackType

import redis

from tests.e2e.servers import Daphne

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
PG_URL = f"postgres://postgres@{HOST}:5432"
DATABASE = "scoreboard_bench"
REDIS_URL = f"redis://{HOST}:6379/14"

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
    # Raised for the whole run (every request comes from 127.0.0.1): see README/summary.
    "RATE_LIMIT_IP_PER_HOUR": "1000000",
    "RATE_LIMIT_LEADERBOARD_PER_MINUTE": "1000000",
    "WS_MAX_ANONYMOUS_PER_IP": "1000000",  # every benchmark socket comes from 127.0.0.1
}
RAISED_LIMITS = ("RATE_LIMIT_IP_PER_HOUR", "RATE_LIMIT_LEADERBOARD_PER_MINUTE", "WS_MAX_ANONYMOUS_PER_IP")


def server_env() -> dict[str, str]:
    """A few basics of the caller's environment plus the bench values, no other setting."""
    basics = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")
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
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)


def flush_redis() -> None:
    """Only DB 14: the ranking, the rate-limit counters, the broadcast state of the bench."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    finally:
        client.close()


class BenchStack:
    """Context manager: fresh database and Redis DB, two daphne processes, stopped on exit."""

    def __init__(self, log_dir: Path) -> None:
        self.env = server_env()
        log_dir.mkdir(parents=True, exist_ok=True)
        self.servers = [Daphne(self.env, name=name, log=log_dir / f"daphne-{name}.log") for name in ("A", "B")]

    def __enter__(self) -> BenchStack:
        reset_database(self.env)
        flush_redis()
        try:
            for server in self.servers:
                server.start(wait=False)  # both boot at once
            for server in self.servers:
                server.wait_ready(path="/readyz")
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
