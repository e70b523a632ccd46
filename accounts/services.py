"""Account writes: registration, login, refresh rotation, logout, service accounts."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, Token
from rest_framework_simplejwt.utils import datetime_from_epoch

from scoreboard_project.errors import TokenInvalid, ValidationFailed
from scoreboard_project.limits import check_login_attempt

from . import revocation
from .exceptions import AccountBanned, InvalidCredentials, UsernameTaken
from .models import LoginSession, User
from .tokens import TokenPair, issue_access_token, issue_token_pair

logger = logging.getLogger("scoreboard.accounts")


def player_register(*, username: str, email: str, password: str) -> tuple[User, TokenPair]:
    user = User(username=username, email=email)
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed(details={"password": list(exc.messages)}) from exc
    if User.objects.filter(username__iexact=username).exists():
        raise UsernameTaken()
    user.set_password(password)
    try:
        # The case-insensitive unique constraint settles two simultaneous registrations.
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise UsernameTaken() from exc
    logger.info("Registered player %s", user.id)
    return user, issue_token_pair(user)


def player_login(*, username: str, password: str, client_ip: str) -> tuple[User, TokenPair]:
    """Every attempt counts against (client IP, username), successful or not."""
    check_login_attempt(client_ip=client_ip, username=username)
    # Usernames are ASCII: a look-alike (``jwt_uſer``) must not reach a case-insensitive
    # lookup whose folding (Python's or the database's) could turn it into someone else.
    user = User.objects.filter(username__iexact=username).first() if username.isascii() else None
    if user is None:
        make_password(password)  # same work as a real check: no timing hint that the name is free
        raise InvalidCredentials()
    if not user.check_password(password) or not user.is_active:
        raise InvalidCredentials()
    if user.is_banned:
        raise AccountBanned()
    return user, issue_token_pair(user)


def _claim_refresh_token(refresh: RefreshToken) -> None:
    """Blacklist this refresh token, or fail if it already was.

    The one-to-one unique constraint of BlacklistedToken is the claim: of any number of
    simultaneous refreshes with one token, exactly one insert succeeds.
    """
    jti = refresh["jti"]
    outstanding, _ = OutstandingToken.objects.get_or_create(
        jti=jti,
        defaults={"token": str(refresh), "expires_at": datetime_from_epoch(refresh["exp"])},
    )
    try:
        with transaction.atomic():
            BlacklistedToken.objects.create(token=outstanding)
    except IntegrityError as exc:
        raise TokenInvalid() from exc


def _decode_refresh(token: str) -> RefreshToken:
    try:
        return RefreshToken(token)  # type: ignore[arg-type]  # simplejwt takes the raw token; its hint says Token
    except TokenError as exc:
        raise TokenInvalid() from exc


def _owner_of(refresh: RefreshToken) -> User:
    try:
        user = User.objects.filter(id=refresh.get("userId")).first()
    except (ValueError, DjangoValidationError):
        user = None
    if user is None:
        raise TokenInvalid()
    return user


def _usable_owner(refresh: RefreshToken) -> User:
    """The refresh token's account, if the token may still act for it."""
    user = _owner_of(refresh)
    if not user.is_active or refresh.get("ver", 0) != user.token_version:
        raise TokenInvalid()  # deactivated, or a new password since the token was issued
    if user.is_banned:
        raise AccountBanned()
    return user


def token_refresh(*, refresh_token: str) -> TokenPair:
    refresh = _decode_refresh(refresh_token)
    user = _usable_owner(refresh)
    if "sid" not in refresh:
        try:
            _claim_refresh_token(refresh)  # no session yet: the blacklist stops a second use
        except IntegrityError as exc:  # get_or_create lost a race on the jti: someone else has it
            raise TokenInvalid() from exc
        revocation.legacy_session_adopt(refresh=refresh, user=user)
    return revocation.session_rotate(refresh=refresh, user=user)


def player_logout(*, user: User, refresh_token: str, access_token: Token) -> None:
    """Revoke the refresh token given (its whole session) and the calling access token."""
    refresh = _decode_refresh(refresh_token)
    if _owner_of(refresh).pk != user.pk:
        raise TokenInvalid("That refresh token belongs to another account.")
    with transaction.atomic():
        _claim_refresh_token(refresh)
        if "sid" in refresh:
            revocation.session_revoke(session_id=refresh["sid"], reason=LoginSession.EndReason.LOGOUT)
        revocation.access_token_revoke(access_token)


def service_account_create(*, name: str, lifetime_seconds: int | None = None) -> tuple[User, str]:
    """A game server's account (role ``system``) and an access token for it."""
    from datetime import timedelta

    user, created = User.objects.get_or_create(
        username=name, defaults={"is_service_account": True, "email": ""}
    )
    if not user.is_service_account:
        raise ValidationFailed(
            f"{name!r} is a player account, not a service account.", details={"name": ["taken by a player"]}
        )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    seconds = lifetime_seconds or settings.JWT_EXPIRY
    return user, str(issue_access_token(user, lifetime=timedelta(seconds=seconds)))


def refresh_tokens_purge(*, expired_before) -> int:
    """Forget refresh tokens that expired before ``expired_before`` (and their blacklist
    rows: an expired token is refused for its expiry alone)."""
    deleted, _ = OutstandingToken.objects.filter(expires_at__lt=expired_before).delete()
    return deleted + revocation.revocations_purge(expired_before=expired_before)
