"""JWT pairs for players, moderators and game servers (simplejwt, HS256 on JWT_SECRET).

Besides the contract's claims (``userId``, ``username``, ``role``, ``iat``, ``exp``) every
token carries ``ver`` (the account's token version: a new password revokes) and a pair
also ``sid`` and ``sexp`` (its login session and when that session ends: no token of a
session outlives it).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, Token

from .models import LoginSession, User


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    expires_at: datetime


@dataclass(frozen=True)
class SessionPair:
    """A pair plus what rotation needs: the session and the new refresh token's id."""

    pair: TokenPair
    session_id: str
    refresh_jti: str


def _add_claims(token: Token, user: User) -> None:
    token["username"] = user.username
    token["role"] = user.role
    token["ver"] = user.token_version


def _cap(token: Token, session_ends: int) -> None:
    if token["exp"] > session_ends:
        token["exp"] = session_ends


def session_pair(user: User, *, session_id: str, session_ends: int) -> SessionPair:
    """A refresh token (recorded as outstanding) and its access token, in one session."""
    refresh = RefreshToken.for_user(user)
    _add_claims(refresh, user)
    refresh["sid"], refresh["sexp"] = session_id, session_ends
    _cap(refresh, session_ends)
    access = refresh.access_token  # copies every claim but type, exp and jti
    _cap(access, session_ends)
    pair = TokenPair(
        access=str(access), refresh=str(refresh), expires_at=datetime.fromtimestamp(access["exp"], tz=UTC)
    )
    return SessionPair(pair=pair, session_id=session_id, refresh_jti=refresh["jti"])


def issue_token_pair(user: User) -> TokenPair:
    """A new login session and its first pair (register, login)."""
    now = timezone.now()
    ends = now + timedelta(seconds=settings.REFRESH_SESSION_MAX_AGE)
    issued = session_pair(user, session_id=str(uuid.uuid4()), session_ends=int(ends.timestamp()))
    LoginSession.objects.create(
        id=issued.session_id, user=user, created_at=now, expires_at=ends, refresh_jti=issued.refresh_jti
    )
    return issued.pair


def issue_access_token(user: User, *, lifetime: timedelta | None = None) -> AccessToken:
    """A lone access token (a game server's, from create_service_account): no session."""
    access = AccessToken.for_user(user)
    if lifetime is not None:
        access.set_exp(lifetime=lifetime)
    _add_claims(access, user)
    return access
