"""Fail fast while PostgreSQL is down (ARCHITECTURE, "Failure behaviour": every write 503).

Plain HTTP runs on a fixed pool of worker threads (``serving.py``). With PostgreSQL down,
each request waits up to ``DB_POOL_TIMEOUT`` for a connection before its 503, so a burst
queues behind the waiting threads and a client can wait out the whole outage. After a
database error the breaker opens for ``DB_BREAKER_SECONDS``: API requests then answer 503
at once, without touching the database, while one request at a time (the probe) still
tries it; a probe that gets an answer from the database closes the breaker. Per process.
"""

from __future__ import annotations

import threading
import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from .errors import ServiceUnavailable, refusal_response
from .middleware import is_api_path

_open_until = 0.0
_probe = threading.Lock()
PASS_THROUGH = ("/healthz", "/readyz", "/metrics")  # they report the outage themselves


def trip() -> None:
    """A request just failed on the database: answer the next ones at once."""
    global _open_until
    _open_until = time.monotonic() + settings.DB_BREAKER_SECONDS


def reset() -> None:
    global _open_until
    _open_until = 0.0


def is_open() -> bool:
    return time.monotonic() < _open_until


class DatabaseBreakerMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not is_open() or not is_api_path(request.path) or request.path in PASS_THROUGH:
            return self.get_response(request)
        if not _probe.acquire(blocking=False):
            return refusal_response(ServiceUnavailable())
        try:
            response = self.get_response(request)
        finally:
            _probe.release()
        if response.status_code != 503:
            reset()  # the probe reached the database
        return response
