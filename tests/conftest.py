"""Shared fixtures: players alice and bob, a moderator, a game server, clients, Redis.
Helpers (``make_player``, ``request_token``, ...) live in tests/helpers/."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator

import pytest
from django.core.cache import cache
from redis.exceptions import RedisError
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tokens import issue_token_pair
from leaderboard import read_cache
from scoreboard_project import db_breaker
from scoreboard_project.limit_counter import local_counter
from tests.helpers.actions import seed_action_types
from tests.helpers.players import make_player
from tests.helpers.stores import ThrowawayRedis, production_shape


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
    settings.ANTICHEAT_BASELINE_REFRESH_SECONDS = (
        0  # no background thread; tests refresh baselines themselves
    )
    settings.LEDGER_DAILY_ROOTS = (
        False  # no background root thread; tests/leaderboard/test_ledger*.py turn it on
    )
    # No board reset thread: tests roll periods themselves (resets.periods_roll). Started once
    # by any request to a board (tests/scoreboard_project did), it outlived its test and
    # rolled the periods of tests/e2e/test_board_resets.py on that test's patched clock.
    settings.BOARD_RESET_CLOCK = False
    cache.clear()  # rate-limit windows, rankings and broadcast state start empty
    db_breaker.reset()  # a test that made the database fail leaves no open breaker behind
    local_counter.reset()  # the embedded default's limit windows
    read_cache.clear()  # and no process-held leaderboard response survives them
    yield
    with contextlib.suppress(RedisError, OSError):  # a test may leave it on a store it stopped
        cache.clear()


@pytest.fixture(autouse=True)
def _action_types_present(request) -> None:
    """Every test with database access starts with the seeded action types."""
    uses_db = request.node.get_closest_marker("django_db") is not None or bool(
        {"db", "transactional_db"} & set(request.fixturenames)
    )
    if uses_db:
        request.getfixturevalue("_django_db_helper")
        seed_action_types()


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
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="anticheat", codename="moderate")
    )
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


@pytest.fixture
def many_completions(settings):
    """Lift the per-user completion and request limits for tests that are about something else."""
    settings.RATE_LIMIT_ACTIONS_PER_SECOND = 10_000
    settings.RATE_LIMIT_ACTIONS_PER_MINUTE = 10_000
    settings.RATE_LIMIT_ACTIONS_PER_HOUR = 10_000
    settings.RATE_LIMIT_ACTIONS_PER_DAY = 10_000
    settings.RATE_LIMIT_REQUESTS_PER_MINUTE = 10_000
    return settings
