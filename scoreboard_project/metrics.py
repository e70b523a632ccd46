"""Prometheus metrics, served as text at /metrics to operators only.

With ``PROMETHEUS_MULTIPROC_DIR`` set (``make serve`` sets it for its app processes) every
process writes its samples there and /metrics answers the sum of all of them, whichever
process the proxy picks (prometheus_client's multiprocess mode; the open-sockets gauge sums
the live processes). Without it, one process' own figures (the embedded default).

/metrics is private (docs/api.md): callers whose client IP (TRUSTED_PROXIES decides it) is in
METRICS_ALLOWED_IPS (addresses or CIDR ranges; default loopback), or who send
``Authorization: Bearer <METRICS_TOKEN>``; anyone else gets the envelope's 404, as if
there were nothing there. Its counters would otherwise tell a bot whether its last
completion was flagged.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)

from .bearer import bearer_token
from .client_ip import client_ip
from .errors import NotFound, error_response

disable_created_metrics()  # no *_created series beside every counter

api_requests = Counter("api_requests", "HTTP API requests answered", ["method", "status"])
score_updates = Counter("score_updates", "Scores changed by completed actions or moderation", ["kind"])
websocket_connections = Gauge(
    "websocket_connections", "Open WebSocket connections", multiprocess_mode="livesum"
)
action_completion_time = Histogram(
    "action_completion_time",
    "Seconds spent completing an action (server side)",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
rate_limit_violations = Counter("rate_limit_violations", "Requests refused by a rate limit", ["scope"])
anti_cheat_flags = Counter("anti_cheat_flags", "Anomaly flags raised", ["reason"])
leaderboard_query_time = Histogram(
    "leaderboard_query_time",
    "Seconds spent reading the leaderboard",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25),
)


def expose_labels(counter: Counter, label: str, values) -> None:
    """Give a labelled counter its series at 0, so a scrape shows them before any event."""
    for value in values:
        counter.labels(**{label: value})


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/"):
            api_requests.labels(method=request.method, status=str(response.status_code)).inc()
        return response


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]):
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def metrics_allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = bearer_token(request.headers.get("Authorization", ""))
    if token and given is not None and hmac.compare_digest(given.encode(), token.encode()):
        return True
    try:
        ip = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.METRICS_ALLOWED_IPS)))


@csrf_exempt
@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        return error_response(NotFound.code, NotFound.message, NotFound.status)
    return HttpResponse(_exposition(), content_type=CONTENT_TYPE_LATEST)


def _exposition() -> bytes:
    """Every process' samples summed when they share a directory, else this process' own."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return generate_latest()
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return generate_latest(registry)
