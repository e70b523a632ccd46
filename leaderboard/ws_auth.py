"""WebSocket handshake guards: origin validation and JWT authentication (ASGI middleware).

Channels' AllowedHostsOriginValidator refuses a handshake without ``Origin``; game
clients send none, so this validator accepts a missing Origin and refuses only one that
names a host outside ALLOWED_HOSTS and CORS_ORIGIN. The JWT middleware reads the token
from ``Authorization: Bearer`` or ``?token=`` (never logged) and leaves the decision
(4401 / 4403) to the consumer, which must accept before it can close with a code.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from channels.db import database_sync_to_async
from django.conf import settings
from django.http.request import validate_host
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from accounts.authentication import user_for_claims
from accounts.exceptions import AccountBanned
from accounts.models import User
from accounts.token_cache import validated_access_token
from scoreboard_project.bearer import bearer_token


def _host_of(entry: str) -> str:
    """``https://Game.example.com:8443`` or ``game.example.com`` -> ``game.example.com``."""
    return (urlparse(entry).hostname or "") if "://" in entry else entry.strip().lower()


def origin_allowed(origin: str) -> bool:
    """Whether the handshake's Origin names a host of ALLOWED_HOSTS or CORS_ORIGIN (the
    contract compares hosts: scheme, port and letter case do not matter)."""
    host = urlparse(origin).hostname  # lower-cased
    if not host:
        return False  # "null" and other opaque origins name no host we know
    allowed_hosts = [*settings.ALLOWED_HOSTS, *(_host_of(entry) for entry in settings.CORS_ORIGIN)]
    return "*" in settings.CORS_ORIGIN or validate_host(host, allowed_hosts)


class OriginValidator:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            origin = next((value for name, value in scope.get("headers", []) if name == b"origin"), None)
            if origin is not None and not origin_allowed(origin.decode("latin1")):
                await receive()  # websocket.connect
                await send({"type": "websocket.close", "code": 403})  # before accept: HTTP 403
                return
        return await self.app(scope, receive, send)


def token_from_scope(scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            token = bearer_token(value.decode("latin1"))
            if token is not None:
                return token
    query = parse_qs(scope.get("query_string", b"").decode("latin1"))
    tokens = query.get("token")
    return tokens[-1] if tokens else None


def authenticate_token(token: str) -> tuple[User | None, str | None]:
    """(user, None), or (None, "invalid" | "banned")."""
    try:
        return user_for_claims(validated_access_token(token)), None
    except AccountBanned:
        return None, "banned"
    except (TokenError, InvalidToken):
        return None, "invalid"


class JwtAuthMiddleware:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        scope = dict(scope, user=None, auth_error=None)
        token = token_from_scope(scope)
        if token:
            scope["user"], scope["auth_error"] = await database_sync_to_async(authenticate_token)(token)
        return await self.app(scope, receive, send)
