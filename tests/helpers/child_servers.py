"""Child server processes on this run's test database and Redis, and what the end-to-end
tests do with them: score a player over HTTP, run code off Playwright's event loop."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import quote

import httpx
from django.conf import settings

from bench.servers import free_port
from tests.helpers.actions import age_action, proof_for
from tests.helpers.servers import ROOT, Daphne, child_env

T = TypeVar("T")
S = TypeVar("S")
ARTIFACTS = ROOT / "test-artifacts"


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
    return (
        f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"
    )


def child_server_env(**extra: str) -> dict[str, str]:
    """The environment of a child server on this run's test database and Redis."""
    return child_env(child_database_url(), settings.REDIS_URL, **extra)


def DaphneServer(env: dict[str, str], port: int | None = None) -> Daphne:  # noqa: N802 - reads as a class
    """A server process whose output is kept in test-artifacts/ for a failing test."""
    ARTIFACTS.mkdir(exist_ok=True)
    port = port or free_port()
    return Daphne(env, port=port, log=ARTIFACTS / f"daphne-{port}.log")


def started_with_log(kind: Callable[..., S], log_name: str, env: dict[str, str], **options) -> S:
    """A server of ``kind`` (Daphne, Uvicorn) started with its output in test-artifacts/``log_name``
    (emptied first), for a test that reads the log afterwards."""
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / log_name
    log.unlink(missing_ok=True)
    server = kind(env, log=log, **options)
    server.start()
    return server


def server_env(test_env: dict[str, str]) -> dict[str, str]:
    env = dict(test_env)
    env.update({"DATABASE_URL": child_database_url(), "DEBUG": "false", "LOG_LEVEL": "WARNING"})
    env.pop("TEST_DATABASE_NAME", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def complete_over_http(base_url: str, player, *, action_type: str = "COMPLETE_LEVEL") -> dict:
    """Score ``player`` the way a game client does, against a running server: request an
    action, let it age past the type's minimum (as if the level took 5 s), complete it
    with a correct proof. Returns the completion's ``data``."""
    from accounts.tokens import issue_token_pair

    headers = {"Authorization": f"Bearer {issue_token_pair(player).access}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=10) as api:
        issued = api.post("/api/v1/actions/request", json={"actionType": action_type})
        assert issued.status_code == 201, issued.text
        issued = issued.json()["data"]
        age_action(issued["actionId"], 5)
        done = api.post(
            "/api/v1/actions/complete",
            json={
                "actionToken": issued["actionToken"],
                "actionId": issued["actionId"],
                "proof": proof_for(issued, 2000),
            },
        )
    assert done.status_code == 200, done.text
    return done.json()["data"]
