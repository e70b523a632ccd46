"""The shared limits as DRF throttle classes (DRF runs throttles after authentication).

``ClientIpThrottle`` is a default throttle (REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]),
so it covers every API view. A view that sets its own ``throttle_classes`` must keep it.
"""

from __future__ import annotations

import logging

from rest_framework.throttling import BaseThrottle

from .errors import RateLimitExceeded, ServiceUnavailable
from .limits import check_client_ip

logger = logging.getLogger("scoreboard.ratelimits")


class ClientIpThrottle(BaseThrottle):
    """RATE_LIMIT_IP_PER_HOUR per client IP; role ``system`` is exempt.

    With the store down this one limit lets requests through: reads must keep working on
    their SQL fallback (ARCHITECTURE, "Failure behaviour"). The limits that guard writes
    (completions, action requests, login) fail closed with 503 on their own.
    """

    def allow_request(self, request, view) -> bool:  # noqa: ARG002 - DRF's signature
        count_client_ip(request)
        return True


def count_client_ip(request) -> None:
    """Count ``request`` against its IP once; raises RateLimitExceeded past the limit."""
    if getattr(request, "_client_ip_counted", False):
        return
    request._client_ip_counted = True
    try:
        check_client_ip(request)
    except ServiceUnavailable:
        logger.warning("Per-IP limit skipped: the rate-limit store is unavailable")


def count_refused_request(request) -> RateLimitExceeded | None:
    """For the exception handler: a request refused before DRF ran the throttles.

    DRF authenticates and checks permissions before throttling, so a request with a bad
    or missing token would otherwise never count against its IP. Returns the 429 to send
    instead of the refusal when the IP is over its limit.
    """
    try:
        count_client_ip(request)
    except RateLimitExceeded as exc:
        return exc
    return None
