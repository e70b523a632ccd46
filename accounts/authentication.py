"""Bearer authentication that asks the database on every request, in one query.

simplejwt's stock class trusts the token until it expires; here the account row and the
revocation tables decide (``auth_query.py``): a ban, a deactivation, a new password, a
logout or a refresh-token reuse refuses the very next request.
"""

from __future__ import annotations

import uuid

from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.tokens import Token

from scoreboard_project.bearer import bearer_token
from scoreboard_project.errors import AuthenticationRefused

from .auth_query import auth_row
from .exceptions import AccountBanned
from .models import User
from .token_cache import validated_access_token


def _uuid_claim(claims, name: str) -> uuid.UUID | None:
    value = claims.get(name)
    if value is None:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidToken(f"The token's {name} is not an id.") from None


def user_for_claims(claims) -> User:
    """The account a validated access token names; raises InvalidToken (401) for an unknown
    or deactivated account and a revoked token, AccountBanned (403) for a banned one."""
    user_id = _uuid_claim(claims, "userId")
    if user_id is None:
        raise InvalidToken("The token names no account.")
    found = auth_row(user_id=user_id, session_id=_uuid_claim(claims, "sid"), jti=claims.get("jti"))
    if found is None:
        raise InvalidToken("The token names no account.")
    user = found.user
    if (
        found.token_revoked
        or found.session_revoked
        or not user.is_active
        or claims.get("ver", 0) != user.token_version
    ):
        raise InvalidToken("The token has been revoked.")
    if user.is_banned:
        raise AccountBanned()
    return user


class BearerAuthentication(JWTAuthentication):
    www_authenticate_realm = "api"

    def get_raw_token(self, header: bytes) -> bytes | None:
        """The bearer token, whatever the scheme's case (simplejwt matches ``Bearer`` only)."""
        token = bearer_token(header.decode("latin1"))
        return None if token is None else token.encode("latin1")

    def get_validated_token(self, raw_token: bytes) -> Token:
        try:
            return validated_access_token(raw_token)
        except TokenError:
            # Decoded again by simplejwt, which raises its InvalidToken with the reasons.
            return super().get_validated_token(raw_token)

    def get_user(self, validated_token) -> User:  # type: ignore[override]  # simplejwt's TypeVar return
        try:
            return user_for_claims(validated_token)
        except AccountBanned as banned:  # DRF authentication handles only APIException
            raise AuthenticationRefused(banned) from None
