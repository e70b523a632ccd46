"""While PostgreSQL is down, API requests answer 503 at once instead of queueing for a
connection (scoreboard_project/db_breaker.py); the fault test runs it against a real outage
(tests/e2e/faults/test_postgres_restart.py)."""

from __future__ import annotations

import pytest
from django import db

from scoreboard_project import db_breaker
from scoreboard_project.exception_handler import api_exception_handler


@pytest.fixture(autouse=True)
def _closed_breaker():
    db_breaker.reset()
    yield
    db_breaker.reset()


def test_it_opens_on_a_database_error():
    response = api_exception_handler(db.OperationalError("connection refused"), {})
    assert response.status_code == 503 and response.data["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert response["Retry-After"] == "1"
    assert db_breaker.is_open()


@pytest.mark.django_db
def test_it_answers_503_at_once_while_a_probe_is_out_then_closes_on_its_answer(
    api_client, django_assert_num_queries
):
    db_breaker.trip()
    assert db_breaker._probe.acquire(blocking=False)  # another request is probing the database
    try:
        with django_assert_num_queries(0):
            refused = api_client.get("/api/v1/actions/types")
        assert refused.status_code == 503 and refused["Retry-After"] == "1"
        assert refused.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        assert api_client.get("/healthz").status_code == 200  # probes report for themselves
    finally:
        db_breaker._probe.release()
    assert api_client.get("/api/v1/actions/types").status_code == 200  # this one is the probe
    assert not db_breaker.is_open()
