"""Work a request starts that its answer does not need: run once the answer has gone.

A WSGI server calls the response's ``close()`` after it has sent the response (PEP 3333),
and Django sends ``request_finished`` from there. ``defer(fn, ...)`` called while a request
is being served queues ``fn`` on that request's thread; ``request_finished`` runs the queue,
in order, after the client has the answer. Outside a request (a management command, a
background thread, a WebSocket consumer) ``fn`` runs at once.

Used for the ``overtaken`` notifications (``leaderboard/overtaken.py``): finding up to 100
players a score passed and telling each is work the scorer's answer does not carry, and
on a big board it was a quarter of a record write's server time. The work is the same and
runs on the same thread, so nothing changes for whoever receives it but a few hundred
microseconds. A failure is logged and does not stop the rest of the queue.

Django's test client also closes the response before returning it, so a test sees the
deferred work done when ``client.post`` returns, as it would see on-commit work.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from django.core.signals import request_finished, request_started
from django.db import connection

logger = logging.getLogger("scoreboard.after_response")

_local = threading.local()


def defer(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Run ``fn(*args, **kwargs)`` after this thread's request has been answered, or now
    when no request is being served on this thread."""
    queue: list[tuple[Callable[..., Any], tuple, dict]] | None = getattr(_local, "queue", None)
    if queue is None:
        fn(*args, **kwargs)
    else:
        queue.append((fn, args, kwargs))


def _request_started(**_: Any) -> None:
    left = getattr(_local, "queue", None)
    if left:  # a request whose response was never closed (its server failed): not run
        logger.warning("%d deferred calls of an unfinished request dropped", len(left))
    _local.queue = []


def _request_finished(**_: Any) -> None:
    queue = getattr(_local, "queue", None)
    _local.queue = None  # anything these calls defer runs at once
    if not queue:
        return
    closed = connection.connection is None  # Django's own receiver gave it back already
    for fn, args, kwargs in queue:
        try:
            fn(*args, **kwargs)
        except Exception:
            logger.exception("deferred call %s failed", getattr(fn, "__qualname__", fn))
    if closed and connection.connection is not None:
        # A connection the calls took goes back to the pool now, not at the thread's next request.
        connection.close()


def connect() -> None:
    """Called once from ``AppConfig.ready``."""
    request_started.connect(_request_started, dispatch_uid="after_response.started")
    request_finished.connect(_request_finished, dispatch_uid="after_response.finished")
