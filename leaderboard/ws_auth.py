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
from rest_framework_simplejwt.tokens import AccessToken

from accounts.authentication import user_for_claims
from accounts.exceptions import AccountBanned
from accounts.models import User


def origin_allowed(origin: str) -> bool:
    parsed = urlparse(origin)
    if not parsed.scheme or not parsed.hostname:
        return False  # "null" and other opaque origins name no host we know
    if validate_host(parsed.hostname, settings.ALLOWED_HOSTS):
        return True
    for allowed in settings.CORS_ORIGIN:
        if allowed == "*" or allowed.rstrip("/") == origin.rstrip("/"):
            return True
        if "://" not in allowed and validate_host(parsed.hostname, [allowed]):
            return True
    return False


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
            scheme, _, token = value.decode("latin1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    query = parse_qs(scope.get("query_string", b"").decode("latin1"))
    tokens = query.get("token")
    return tokens[-1] if tokens else None


def authenticate_token(token: str) -> tuple[User | None, str | None]:
    """(user, None), or (None, "invalid" | "banned")."""
    try:
        validated = AccessToken(token)
        return user_for_claims(validated), None
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
