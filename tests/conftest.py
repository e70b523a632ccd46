"""Shared fixtures: players alice and bob, a moderator, a game server, clients, Redis."""

from __future__ import annotations

import contextlib
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
from redis.exceptions import RedisError
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import issue_token_pair
from leaderboard import read_cache
from scoreboard_project import db_breaker
from scoreboard_project.limit_counter import local_counter
from tests.e2e.servers import free_port

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
    settings.ANTICHEAT_BASELINE_REFRESH_SECONDS = 0  # no background thread; tests refresh baselines themselves
    settings.LEDGER_DAILY_ROOTS = False  # no background root thread; tests/leaderboard/test_ledger*.py turn it on
    cache.clear()  # rate-limit windows, rankings and broadcast state start empty
    db_breaker.reset()  # a test that made the database fail leaves no open breaker behind
    local_counter.reset()  # the embedded default's limit windows
    read_cache.clear()  # and no process-held leaderboard response survives them
    yield
    with contextlib.suppress(RedisError, OSError):  # a test may leave it on a store it stopped
        cache.clear()


def seed_action_types() -> None:
    """The action types migration 0002 creates (a transactional test's flush deletes them)."""
    import importlib

    from actions.models import ActionType

    seed = importlib.import_module("actions.migrations.0002_seed_action_types")
    limits = importlib.import_module("actions.migrations.0004_seed_daily_limits").DEFAULT_DAILY_LIMITS
    for code, points, min_ms, max_ms, repeatable, authoritative in seed.DEFAULT_ACTION_TYPES:
        ActionType.objects.get_or_create(code=code, defaults={
            "points": points, "min_duration_ms": min_ms, "max_duration_ms": max_ms,
            "repeatable": repeatable, "authoritative": authoritative, "daily_limit": limits.get(code),
        })


@pytest.fixture(autouse=True)
def _action_types_present(request) -> None:
    """Every test with database access starts with the seeded action types."""
    uses_db = request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db"} & set(request.fixturenames)
    )
    if uses_db:
        request.getfixturevalue("_django_db_helper")
        seed_action_types()


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
    """Staff holding ``anticheat.moderate``: role admin (plain staff is role user)."""
    from django.contrib.auth.models import Permission

    user = make_player("moderator", is_staff=True)
    user.user_permissions.add(Permission.objects.get(content_type__app_label="anticheat", codename="moderate"))
    return user


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


# --- Actions: request, age and complete tokens without sleeping ------------------------------

def request_token(client: APIClient, action_type: str = "COMPLETE_LEVEL", **extra) -> dict:
    """POST /actions/request; the response's ``data`` (asserts 201)."""
    response = client.post("/api/v1/actions/request", {"actionType": action_type, **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()["data"]


def age_action(action_id: str, seconds: float) -> None:
    """Move an action's start back, as if the player had been playing for ``seconds``."""
    from datetime import timedelta

    from actions.models import ActionToken

    token = ActionToken.objects.get(pk=action_id)
    ActionToken.objects.filter(pk=action_id).update(created_at=token.created_at - timedelta(seconds=seconds))


def proof_for(issued: dict, completion_time: int) -> dict:
    from anticheat.proofs import proof_checksum

    checksum = proof_checksum(
        proof_key=issued["proofKey"], action_id=issued["actionId"], completion_time_ms=completion_time
    )
    return {"completionTime": completion_time, "checksum": checksum}


def complete_token(client: APIClient, issued: dict, completion_time: int | None = 1500, *,
                   path: str = "/api/v1/actions/complete", **extra):
    """POST the completion of ``issued``, with a correct proof unless ``completion_time`` is None."""
    body = {"actionToken": issued["actionToken"], "actionId": issued["actionId"], **extra}
    if completion_time is not None and "proof" not in extra:
        body["proof"] = proof_for(issued, completion_time)
    return client.post(path, body, format="json")


@pytest.fixture
def many_completions(settings):
    """Lift the per-user completion and request limits for tests that are about something else."""
    settings.RATE_LIMIT_ACTIONS_PER_SECOND = 10_000
    settings.RATE_LIMIT_ACTIONS_PER_MINUTE = 10_000
    settings.RATE_LIMIT_ACTIONS_PER_HOUR = 10_000
    settings.RATE_LIMIT_ACTIONS_PER_DAY = 10_000
    settings.RATE_LIMIT_REQUESTS_PER_MINUTE = 10_000
    return settings
