"""Browser fixtures: headless Chromium from Debian (/usr/bin/chromium, installed by
scripts/browser.sh; never `playwright install`) and real daphne processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

import httpx
import pytest
from django.conf import settings

from tests.conftest import free_port

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def live_socket_available() -> bool:
    """True once the live branch's WebSocket consumer is routed (after the merge)."""
    from leaderboard.routing import websocket_urlpatterns

    return bool(websocket_urlpatterns)


requires_live_socket = pytest.mark.skipif(
    not live_socket_available(),
    reason="needs /ws/leaderboard/live and the Redis broadcast from the live branch (passes after merge)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium for one module. Playwright's sync API keeps an event loop running in this
    thread, which Django's async-safety check mistakes for async code calling the ORM;
    the check is lifted for the module only and restored after it."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: run scripts/browser.sh (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield instance
            instance.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def off_loop(function: Callable[[], T]) -> T:
    """Run ``function`` in a fresh thread and return its result.

    Playwright's sync API keeps an event loop running in the test's thread, and code that
    broadcasts on commit (``async_to_sync(group_send)``) refuses to run in a thread with a
    running loop; a plain thread (with its own database connection) has none.
    """
    from django.db import connection

    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = function()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test's thread
            outcome["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=30)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]


def child_database_url() -> str:
    db = settings.DATABASES["default"]
    user = quote(db.get("USER") or "postgres")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


class DaphneServer:
    """One real server process on a free port, sharing this test run's PostgreSQL and Redis."""

    def __init__(self, env: dict[str, str], port: int | None = None) -> None:
        self.port = port or free_port()
        self.env = env
        self.process: subprocess.Popen | None = None
        self.log = ARTIFACTS / f"daphne-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> DaphneServer:
        ARTIFACTS.mkdir(exist_ok=True)
        daphne = str(Path(sys.executable).with_name("daphne"))
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [daphne, "-b", "127.0.0.1", "-p", str(self.port), "scoreboard_project.asgi:application"],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited with {self.process.returncode}; see {self.log}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"daphne did not answer on port {self.port}; see {self.log}")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def server_env(test_env: dict[str, str]) -> dict[str, str]:
    env = dict(test_env)
    env.update({"DATABASE_URL": child_database_url(), "DEBUG": "false", "LOG_LEVEL": "WARNING"})
    env.pop("TEST_DATABASE_NAME", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


@pytest.fixture(scope="module")
def daphne_server(django_db_setup, django_db_blocker, test_env) -> Iterator[DaphneServer]:
    """A server on the test database for the module (tests use ``transactional_db`` so
    that what they write is committed and visible to it)."""
    if settings.USES_SQLITE:
        pytest.skip("a child server needs a shared PostgreSQL test database")
    server = DaphneServer(server_env(test_env)).start()
    yield server
    server.stop()
