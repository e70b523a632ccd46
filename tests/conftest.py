"""Shared fixtures: players alice and bob, a moderator, a game server, clients, Redis."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import issue_token_pair

PASSWORD = "correct-horse-battery-9"


def production_shape() -> bool:
    return bool(settings.REDIS_URL) and not settings.USES_SQLITE


def pytest_collection_modifyitems(config, items):
    if production_shape():
        return
    skip = pytest.mark.skip(
        reason="needs the production shape (PostgreSQL DATABASE_URL + REDIS_URL); "
        "`make test` runs it there too"
    )
    for item in items:
        if "production_shape" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fast_hashing_and_clean_stores(settings) -> Iterator[None]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()  # rate-limit windows, rankings and broadcast state start empty
    yield
    cache.clear()


def make_player(username: str, *, score: int = 0, **fields) -> User:
    user = User(username=username, email=f"{username}@example.com", score=score, **fields)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def alice(db) -> User:
    return make_player("alice")


@pytest.fixture
def bob(db) -> User:
    return make_player("bob")


@pytest.fixture
def moderator(db) -> User:
    return make_player("moderator", is_staff=True)


@pytest.fixture
def game_server(db) -> User:
    user = User(username="game-server", is_service_account=True)
    user.set_unusable_password()
    user.save()
    return user


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for() -> Callable[[User], APIClient]:
    """``client_for(alice)``: an API client carrying a fresh access token of that account."""

    def build(user: User) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token_pair(user).access}")
        return client

    return build


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ThrowawayRedis:
    """A private redis-server on a spare port: tests may stop it, never the shared one."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="throwaway-redis-")
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed; `make test` installs it")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("throwaway redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def throwaway_redis() -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis()
    server.start()
    yield server
    server.cleanup()


@pytest.fixture(scope="session")
def test_env() -> dict[str, str]:
    """The environment a child server process needs to share this run's stores."""
    return dict(os.environ)
