"""The anti-cheat benchmark's own stack: database ``scoreboard_anticheat_bench`` and Redis
DB 13 by default (``--database``, ``--redis-url``), two daphne processes started with
bench/servers.py, a moderator account. Everything on 127.0.0.1; servers stopped on exit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from types import TracebackType

import httpx
import redis

from bench.servers import Daphne

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"

# Every request of the simulated population comes from 127.0.0.1: the per-IP limit
# (1000 per hour) is raised for that reason alone. Every per-user limit is the default.
RAISED = {"RATE_LIMIT_IP_PER_HOUR": "10000000"}


def server_env(database: str, redis_url: str, extra: dict[str, str]) -> dict[str, str]:
    basics = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ")
    return {
        **{k: os.environ[k] for k in basics if k in os.environ},
        "DATABASE_URL": f"postgres://postgres@{HOST}:5432/{database}",
        "REDIS_URL": redis_url,
        "SECRET_KEY": "anticheat-bench-secret-key-0123456789-0123456789",
        "JWT_SECRET": "anticheat-bench-jwt-secret-0123456789-0123456789",
        "ACTION_TOKEN_SECRETS": "anticheat-bench-one-0123456789-0123456789,anticheat-bench-two-0123456789-0123456789",
        "LOG_LEVEL": "WARNING",
        "DEBUG": "false",
        "DB_POOL_MAX_SIZE": "8",
        **RAISED,
        **extra,
    }


class AnticheatStack:
    def __init__(self, *, database: str, redis_url: str, log_dir: Path, extra_env: dict[str, str]) -> None:
        self.database, self.redis_url = database, redis_url
        self.env = server_env(database, redis_url, extra_env)
        log_dir.mkdir(parents=True, exist_ok=True)
        self.servers = [
            Daphne(self.env, name=n, log=log_dir / f"anticheat-daphne-{n}.log") for n in ("A", "B")
        ]
        self.admin_token = ""

    @property
    def bases(self) -> list[str]:
        return [server.http for server in self.servers]

    def __enter__(self) -> AnticheatStack:
        pg = ["-h", HOST, "-U", "postgres"]
        subprocess.run(
            [shutil.which("dropdb") or "dropdb", *pg, "--if-exists", "--force", self.database], check=True
        )
        subprocess.run([shutil.which("createdb") or "createdb", *pg, self.database], check=True)
        manage = [sys.executable, "manage.py"]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=self.env, check=True)
        password = f"mod-{uuid.uuid4().hex}"
        subprocess.run(
            [
                *manage,
                "createsuperuser",
                "--noinput",
                "--username",
                "bench-moderator",
                "--email",
                "moderator@example.com",
            ],
            cwd=ROOT,
            check=True,
            env={**self.env, "DJANGO_SUPERUSER_PASSWORD": password},
        )
        client = redis.Redis.from_url(self.redis_url)
        try:
            client.flushdb()  # only the bench's own DB
        finally:
            client.close()
        try:
            for server in self.servers:
                server.start()
            for server in self.servers:
                server.wait_ready(path="/readyz", timeout=60)
        except BaseException:
            self.stop()
            raise
        login = httpx.post(
            f"{self.bases[0]}/api/v1/auth/login",
            json={"username": "bench-moderator", "password": password},
            timeout=30,
        )
        login.raise_for_status()
        self.admin_token = login.json()["data"]["token"]
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
