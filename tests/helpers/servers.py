"""Real daphne processes for end-to-end tests (on the benchmark's ``Server``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from bench.servers import Server

ROOT = Path(__file__).resolve().parents[2]


class Daphne(Server):
    """``daphne scoreboard_project.asgi:application`` on a free 127.0.0.1 port, with the given
    environment: the benchmark's process (``bench.servers.Server``: its own process group,
    readiness, stop), started the way the tests need it."""

    kind = "daphne"

    def __init__(
        self,
        env: dict[str, str],
        *,
        port: int | None = None,
        log: Path | None = None,
        verbosity: int = 0,
        name: str = "",
    ) -> None:
        super().__init__(env, port=port, name=name, log=log)
        self.verbosity = verbosity  # 1 and up: daphne writes an access log line per request

    url = Server.http

    def command(self) -> list[str]:
        daphne = str(Path(sys.executable).with_name("daphne"))
        return [
            daphne,
            "-v",
            str(self.verbosity),
            "-b",
            "127.0.0.1",
            "-p",
            str(self.port),
            "scoreboard_project.asgi:application",
        ]

    def start(self, *, wait: bool = True) -> Daphne:
        super().start()
        if wait:
            self.wait_ready(timeout=30.0)
        return self

    def kill(self) -> None:
        """SIGKILL: the process dies as in a crash, with no clean shutdown."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


class Uvicorn(Daphne):
    """The same application under uvicorn, the other server the project supports."""

    def command(self) -> list[str]:
        uvicorn = str(Path(sys.executable).with_name("uvicorn"))
        return [
            uvicorn,
            "scoreboard_project.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]


def child_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "DB_POOL_MIN_SIZE": "1",
            "DB_POOL_MAX_SIZE": "5",
            **extra,
        }
    )
    env.setdefault("SECRET_KEY", "e2e-secret-key-0123456789-0123456789")
    env.setdefault("JWT_SECRET", "e2e-jwt-secret-0123456789-0123456789")
    env.setdefault(
        "ACTION_TOKEN_SECRETS", "e2e-action-one-0123456789-0123456789,e2e-action-two-0123456789-0123456789"
    )
    return env


@contextlib.contextmanager
def daphne_pair(env: dict[str, str]) -> Iterator[list[Daphne]]:
    """Processes A and B on ``env``, booting at once; both stopped on exit, whatever happens."""
    pair = [Daphne(env), Daphne(env)]
    try:
        for server in pair:
            server.start(wait=False)
        for server in pair:
            server.wait_ready(timeout=60)
        yield pair
    finally:
        for server in pair:
            server.stop()


async def next_message(socket, predicate, timeout: float = 5) -> dict:
    """The first JSON message on ``socket`` that ``predicate`` accepts, within ``timeout``."""
    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await socket.recv())
            if predicate(message):
                return message
