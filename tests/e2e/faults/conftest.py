"""Fixtures of the fault tests: a private PostgreSQL cluster for the session (one migrated
template, cloned per test), a private redis-server per test, and daphne processes on them.
Everything started here is stopped and removed at teardown, also when a test fails."""

from __future__ import annotations

import itertools
import logging
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis

from bench.servers import free_port
from tests.helpers.child_servers import ARTIFACTS
from tests.helpers.faults.stores import ThrowawayPostgres, ThrowawayRedis
from tests.helpers.servers import ROOT, Daphne, child_env

TEMPLATE = "faults_template"
_names = itertools.count(1)
logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request would drown a failure

# Limits high enough that the load, not a limit, decides; fault tests that are about a
# limit's behaviour pass their own values.
LOAD_ENV = {
    "RATE_LIMIT_ACTIONS_PER_SECOND": "100000",
    "RATE_LIMIT_ACTIONS_PER_MINUTE": "100000",
    "RATE_LIMIT_ACTIONS_PER_HOUR": "100000",
    "RATE_LIMIT_ACTIONS_PER_DAY": "100000",
    "RATE_LIMIT_REQUESTS_PER_MINUTE": "100000",
    "RATE_LIMIT_IP_PER_HOUR": "10000000",
    "RATE_LIMIT_LEADERBOARD_PER_MINUTE": "100000",
    "RATE_LIMIT_SCORE_PER_MINUTE": "100000",
    "ANOMALY_DETECTION_THRESHOLD": "1000000",
    "WS_MAX_ANONYMOUS_PER_IP": "100000",
    "WS_NEW_CONNECTIONS_PER_5_MINUTES": "100000",
    "BROADCAST_INTERVAL_MS": "200",
}


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[ThrowawayPostgres]:
    """A private PostgreSQL cluster on a spare port, with a migrated template database."""
    cluster = ThrowawayPostgres()
    try:
        cluster.init()
        cluster.start()
        cluster.execute(f'CREATE DATABASE "{TEMPLATE}"')
        env = child_env(cluster.url(TEMPLATE), f"redis://127.0.0.1:{free_port()}/0")
        env.pop("REDIS_URL")  # migrations need no Redis
        done = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        yield cluster
    finally:
        cluster.cleanup()


@dataclass
class Stores:
    pg: ThrowawayPostgres
    database: str
    redis_server: ThrowawayRedis

    @property
    def database_url(self) -> str:
        return self.pg.url(self.database)

    @property
    def redis_url(self) -> str:
        return self.redis_server.url

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis_url, decode_responses=True, socket_timeout=5)

    def env(self, **extra: str) -> dict[str, str]:
        env = child_env(self.database_url, self.redis_url, LOG_LEVEL="WARNING", DEBUG="false")
        env.update(LOAD_ENV)
        env.update(extra)
        env.pop("TEST_DATABASE_NAME", None)
        return env


@pytest.fixture
def stores(pg_cluster: ThrowawayPostgres) -> Iterator[Stores]:
    """A fresh database (cloned from the template) and a fresh redis-server for one test."""
    name = f"faults_{next(_names)}"
    server = ThrowawayRedis()
    try:
        pg_cluster.clone(TEMPLATE, name)
        server.start()
        yield Stores(pg_cluster, name, server)
    finally:
        server.cleanup()
        if pg_cluster.is_up():
            pg_cluster.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def launch(stores: Stores) -> Iterator:
    """``launch(**env)``: a daphne process on the test's stores, killed at teardown."""
    started: list[Daphne] = []

    def start(**extra: str) -> Daphne:
        ARTIFACTS.mkdir(exist_ok=True)
        port = free_port()
        server = Daphne(stores.env(**extra), port=port, log=ARTIFACTS / f"faults-daphne-{port}.log")
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.kill()
