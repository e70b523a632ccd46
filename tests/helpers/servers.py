"""Real daphne processes for end-to-end tests and the fan-out benchmark."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Daphne:
    """``daphne scoreboard_project.asgi:application`` on a free 127.0.0.1 port, with the given
    environment; its own process group, so a Ctrl-C of the caller does not reach it first."""

    def __init__(
        self,
        env: dict[str, str],
        *,
        port: int | None = None,
        log: Path | None = None,
        verbosity: int = 0,
        name: str = "",
    ) -> None:
        self.port = port or free_port()
        self.verbosity = verbosity  # 1 and up: daphne writes an access log line per request
        self.env = env
        self.log = log
        self.name = name or str(self.port)
        self.process: subprocess.Popen | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    url = http

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

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
        output = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115 - closed below
        try:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            if self.log:
                output.close()
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, *, path: str = "/healthz", timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"daphne {self.name} exited early (log: {self.log})")
            try:
                if httpx.get(f"{self.http}{path}", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"daphne {self.name} not ready in {timeout:.0f} s (log: {self.log})")

    def kill(self) -> None:
        """SIGKILL: the process dies as in a crash, with no clean shutdown."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


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
