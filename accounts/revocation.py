"""Revoking tokens before they expire: refresh rotation with reuse detection, logout.

The checks on every request are in ``accounts/authentication.py`` (one query); this
module owns the writes.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken, Token
from rest_framework_simplejwt.utils import datetime_from_epoch

from scoreboard_project.errors import TokenInvalid

from .models import LoginSession, RevokedAccessToken, User
from .tokens import TokenPair, session_pair

logger = logging.getLogger("scoreboard.accounts")


def session_rotate(*, refresh: RefreshToken, user: User) -> TokenPair:
    """The next pair of ``refresh``'s session, if ``refresh`` is the session's current token.

    One conditional UPDATE moves the session on to the new refresh token, so of any
    number of simultaneous refreshes with one token exactly one wins. Any other use of a
    token that is no longer current is a reuse (a stolen copy, or the victim after the
    thief): the session is revoked, and every token carrying its id with it.
    """
    session_id = refresh["sid"]
    issued = session_pair(user, session_id=session_id, session_ends=refresh["sexp"])
    now = timezone.now()
    rotated = LoginSession.objects.filter(
        pk=session_id, refresh_jti=refresh["jti"], revoked_at__isnull=True, expires_at__gt=now
    ).update(refresh_jti=issued.refresh_jti, refreshed_at=now)
    if rotated:
        return issued.pair
    reused = (
        LoginSession.objects.filter(pk=session_id, revoked_at__isnull=True)
        .exclude(refresh_jti=refresh["jti"])
        .update(revoked_at=now, revoked_reason=LoginSession.EndReason.REUSE)
    )
    if reused:
        logger.warning("Refresh token reused: session %s of %s revoked", session_id, user.pk)
    raise TokenInvalid()


def session_revoke(*, session_id: str, reason: str) -> None:
    LoginSession.objects.filter(pk=session_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )


def access_token_revoke(token: Token) -> None:
    """Deny one access token until it expires (idempotent)."""
    RevokedAccessToken.objects.get_or_create(
        jti=token["jti"], defaults={"expires_at": datetime_from_epoch(token["exp"])}
    )


def legacy_session_adopt(*, refresh: RefreshToken, user: User) -> None:
    """A refresh token issued before sessions existed (no ``sid``) starts one, dated from
    its own issue time, so that it rotates and ends like any other."""
    started = datetime_from_epoch(refresh["iat"])
    ends = started + timedelta(seconds=settings.REFRESH_SESSION_MAX_AGE)
    session = LoginSession.objects.create(
        id=uuid.uuid4(), user=user, created_at=started, expires_at=ends, refresh_jti=refresh["jti"]
    )
    refresh["sid"], refresh["sexp"] = str(session.id), int(ends.timestamp())


def revocations_purge(*, expired_before: datetime) -> int:
    """Forget deny-list entries and sessions that expired before ``expired_before``: their
    tokens are refused for their expiry alone."""
    with transaction.atomic():
        tokens, _ = RevokedAccessToken.objects.filter(expires_at__lt=expired_before).delete()
        sessions, _ = LoginSession.objects.filter(expires_at__lt=expired_before).delete()
    return tokens + sessions
