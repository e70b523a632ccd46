"""The scoring path's clock, in one place so tests can move time instead of sleeping.

``received_at`` is when a completion reached the server process, stamped by
``stamp_arrival`` around the ASGI application before the request waits for a worker
thread: under load a request can queue for seconds, and that queueing is neither the
player's time nor something the player controls. Measuring to the arrival keeps the
server's measure honest for the timing rule (an early completion that waited in the
queue is still too fast) and keeps the detectors' durations free of the server's own
queueing noise. Without an ASGI scope (the test client, WSGI) it is ``now()``.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from django.utils import timezone

ARRIVAL_KEY = "scoreboard.arrived_at"


def now() -> datetime:
    return timezone.now()


def stamp_arrival(app):
    """ASGI wrapper: note when each HTTP request arrived, in its scope."""

    async def stamped(scope, receive, send):
        if scope.get("type") == "http":
            scope = {**scope, ARRIVAL_KEY: time.time()}
        await app(scope, receive, send)

    return stamped


def received_at(request) -> datetime:
    """When ``request`` reached this process (never later than now)."""
    current = now()
    # Under the ASGI handler the stamp is on the scope; under the WSGI-in-ASGI adapter
    # (scoreboard_project/serving.py) it travels in the WSGI environ.
    stamp = (getattr(request, "scope", None) or {}).get(ARRIVAL_KEY) or (
        getattr(request, "META", None) or {}
    ).get(ARRIVAL_KEY)
    if stamp is None:
        return current
    return min(datetime.fromtimestamp(stamp, UTC), current)
