"""JWT pairs for players, moderators and game servers (simplejwt, HS256 on JWT_SECRET)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from .models import User


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    expires_at: datetime


def _add_claims(token, user: User) -> None:
    token["username"] = user.username
    token["role"] = user.role


def issue_token_pair(user: User) -> TokenPair:
    """A new refresh token (recorded as outstanding, so it can be revoked) and its access token."""
    refresh = RefreshToken.for_user(user)
    _add_claims(refresh, user)
    access = refresh.access_token
    return TokenPair(
        access=str(access),
        refresh=str(refresh),
        expires_at=datetime.fromtimestamp(access["exp"], tz=UTC),
    )


def issue_access_token(user: User, *, lifetime: timedelta | None = None) -> AccessToken:
    access = AccessToken.for_user(user)
    if lifetime is not None:
        access.set_exp(lifetime=lifetime)
    _add_claims(access, user)
    return access
