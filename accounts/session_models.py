"""Rows that let a signed token be revoked before it expires.

A JWT is valid until its ``exp`` by construction; the contract wants more (docs/api.md,
"Revocation"), so every request's single authentication query also asks these tables:

- ``LoginSession``: one login and every token rotated from it (a refresh *family*). The
  session names the one refresh token that may be used next; presenting any other of its
  refresh tokens is a reuse and revokes the session, and with it every access and refresh
  token that carries its id (claim ``sid``). It ends ``REFRESH_SESSION_MAX_AGE`` after
  the login whatever the refreshes.
- ``RevokedAccessToken``: the deny list of access tokens revoked one by one (logout), by
  ``jti``, kept until the token would have expired anyway.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class LoginSession(models.Model):
    class EndReason(models.TextChoices):
        LOGOUT = "logout", "Logged out"
        REUSE = "reuse", "A rotated refresh token was used again"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="login_sessions"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True, help_text="login + REFRESH_SESSION_MAX_AGE")
    refresh_jti = models.CharField(max_length=64, help_text="the refresh token that may be used next")
    refreshed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=10, choices=EndReason.choices, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"], name="accounts_session_user_idx")]

    def __str__(self) -> str:
        return f"session {self.id} of {self.user_id}"


class RevokedAccessToken(models.Model):
    jti = models.CharField(max_length=64, primary_key=True)
    expires_at = models.DateTimeField(db_index=True, help_text="when the token expires anyway")

    def __str__(self) -> str:
        return f"revoked access token {self.jti}"
