"""Work deferred until a request has been answered (``scoreboard_project/after_response``)."""

from __future__ import annotations

import logging

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from scoreboard_project import after_response


@pytest.fixture(autouse=True)
def _signals_without_database():
    """The request signals as Django's test client sends them: without the connection handling."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_it_runs_at_once_outside_a_request():
    ran = []
    after_response.defer(ran.append, 1)
    assert ran == [1]


def test_it_runs_the_calls_of_a_request_in_order_when_it_finishes():
    ran = []
    request_started.send(sender=None)
    after_response.defer(ran.append, 1)
    after_response.defer(lambda value: ran.append(value), value=2)
    assert ran == []
    request_finished.send(sender=None)
    assert ran == [1, 2]
    after_response.defer(ran.append, 3)  # no request any more: at once
    assert ran == [1, 2, 3]


def test_a_failing_call_is_logged_and_the_others_still_run(caplog):
    ran = []

    def fails():
        raise RuntimeError("boom")

    request_started.send(sender=None)
    after_response.defer(fails)
    after_response.defer(ran.append, "after")
    with caplog.at_level(logging.ERROR, logger="scoreboard.after_response"):
        request_finished.send(sender=None)
    assert ran == ["after"]
    assert "fails" in caplog.text and "boom" in caplog.text


def test_a_call_deferred_by_a_deferred_call_runs_at_once():
    ran = []
    request_started.send(sender=None)
    after_response.defer(lambda: after_response.defer(ran.append, "inner"))
    request_finished.send(sender=None)
    assert ran == ["inner"]


def test_the_calls_of_a_request_never_finished_are_dropped_with_a_warning(caplog):
    ran = []
    request_started.send(sender=None)
    after_response.defer(ran.append, "lost")
    with caplog.at_level(logging.WARNING, logger="scoreboard.after_response"):
        request_started.send(sender=None)  # the next request on this thread
    request_finished.send(sender=None)
    assert ran == []
    assert "1 deferred calls" in caplog.text
