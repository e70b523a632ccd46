"""Limits every app may apply (API.md, "Limits"): per client IP, leaderboard reads, my score.

They live here, not in ``anticheat``, because ``leaderboard`` must not import ``anticheat``.
Each call counts one request on the shared cache (``ratelimits.limit_hit``), so every
server process shares the counters, and raises RateLimitExceeded (429 + Retry-After).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import HttpRequest
from rest_framework.request import Request

from .client_ip import client_ip
from .errors import ServiceUnavailable
from .ratelimits import Limit, limit_hit

logger = logging.getLogger("scoreboard.ratelimits")
SYSTEM_ROLE = "system"


def ip_limit() -> Limit:
    return Limit("ip.hour", settings.RATE_LIMIT_IP_PER_HOUR, 3600)


def leaderboard_read_limit() -> Limit:
    return Limit("leaderboard.read", settings.RATE_LIMIT_LEADERBOARD_PER_MINUTE, 60)


def my_score_read_limit() -> Limit:
    return Limit("score.me", settings.RATE_LIMIT_SCORE_PER_MINUTE, 60)


def _authenticated_user(request):
    """The caller if already known. Never triggers DRF's lazy authentication (which may raise)."""
    if isinstance(request, Request):
        return vars(request).get("_user")
    return getattr(request, "user", None)


def is_system_caller(request: HttpRequest) -> bool:
    return getattr(_authenticated_user(request), "role", None) == SYSTEM_ROLE


def check_client_ip(request: HttpRequest) -> None:
    """Every API request per client IP; game servers (role ``system``) are exempt.

    Call after authentication, so that a game server is recognised.
    """
    if is_system_caller(request):
        return
    limit_hit(ip_limit(), client_ip(request))


def _client_key(request: HttpRequest) -> str:
    user = _authenticated_user(request)
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    return f"ip:{client_ip(request)}"


def _read_limit_hit(limit: Limit, key: str) -> None:
    """Reads keep working when the store is down (they fall back to SQL): a read limit that
    cannot be counted lets the request through, where a write's limit would answer 503."""
    try:
        limit_hit(limit, key)
    except ServiceUnavailable:
        logger.warning("%s not enforced: the rate-limit store is unavailable", limit.scope)


def check_leaderboard_read(request: HttpRequest) -> None:
    """Leaderboard reads (``/leaderboard``, its alias, a player's score): per client, the
    account if any, else the IP."""
    _read_limit_hit(leaderboard_read_limit(), _client_key(request))


def check_my_score_read(user) -> None:
    """``GET /users/me/score``: per user."""
    _read_limit_hit(my_score_read_limit(), str(user.pk))
