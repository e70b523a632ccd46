"""Bearer authentication that reads the account on every request.

simplejwt's stock class trusts ``is_active`` and the token's claims; here the user row
decides: a ban refuses the very next request, and the role comes from the database.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken

from .exceptions import AccountBanned
from .models import User


def user_for_claims(claims) -> User:
    """The account a validated access token names; raises for unknown or banned accounts."""
    try:
        user = User.objects.filter(id=claims.get("userId")).first()
    except (ValueError, DjangoValidationError):  # a userId that is not a UUID
        user = None
    if user is None:
        raise InvalidToken("The token names no account.")
    if user.is_banned:
        raise AccountBanned()
    return user


class BearerAuthentication(JWTAuthentication):
    www_authenticate_realm = "api"

    def get_user(self, validated_token) -> User:
        return user_for_claims(validated_token)
