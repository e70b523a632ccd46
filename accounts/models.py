from __future__ import annotations

import uuid
from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from .signals import tokens_revoked

USERNAME_PATTERN = r"\A[A-Za-z0-9_.\-]{3,50}\Z"
username_validator = RegexValidator(
    USERNAME_PATTERN, "3-50 characters: letters, digits, underscore, dot and hyphen."
)


class Role(models.TextChoices):
    USER = "user", "Player"
    ADMIN = "admin", "Admin"
    SYSTEM = "system", "Game server"


# The permission that makes a staff account a moderator (role ``admin``). Declared on
# ``anticheat.Flag``; named by string, so this app imports no other.
MODERATE_PERMISSION = "anticheat.moderate"


class User(AbstractUser):
    """A player, a moderator (staff) or a game server (service account).

    ``score`` is the all-time score; the ledger (``leaderboard.ScoreHistory``) is the
    record every change is written to in the same transaction.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        BANNED = "banned", "Banned"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    username = models.CharField(max_length=50, unique=True, validators=[username_validator])
    email = models.EmailField(blank=True)
    # No index of its own: ``accounts_user_ranking_idx`` starts with it, and every index is
    # one more write per score change (a score is in that index: no update is HOT).
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    is_service_account = models.BooleanField(default=False)
    score = models.BigIntegerField(default=0)
    total_actions = models.PositiveIntegerField(default=0)
    score_updated_at = models.DateTimeField(default=timezone.now)
    last_action_at = models.DateTimeField(null=True, blank=True)
    # Every token carries the version it was issued under (claim ``ver``); a new password
    # moves it on, so every token issued before it stops working (accounts/revocation.py).
    token_version = models.PositiveIntegerField(default=0, editable=False)
    # The hash of the player's last ledger row (64 zeros before the first), moved with the score.
    ledger_head = models.CharField(max_length=64, default="0" * 64, editable=False)
    # What the boards show (accounts/display_names.py); empty: the username.
    display_name = models.CharField(max_length=32, blank=True, default="")

    objects: ClassVar[UserManager] = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci_unique"),
        ]
        indexes = [
            # Leaderboard order on the SQL store: score desc, who got there first, id.
            models.Index(
                "status",
                "is_service_account",
                models.F("score").desc(),
                "score_updated_at",
                "id",
                name="accounts_user_ranking_idx",
            ),
        ]

    def save(self, *args, **kwargs) -> None:
        # ``_password`` is set by set_password() and cleared again for a mere hash upgrade
        # at login (AbstractBaseUser.check_password), so only a new password revokes.
        revoking = self._password is not None and not self._state.adding  # type: ignore[attr-defined]  # set_password() sets it
        if revoking:
            self.token_version += 1
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "password" in update_fields:
                kwargs["update_fields"] = {*update_fields, "token_version"}
        super().save(*args, **kwargs)
        if revoking:
            tokens_revoked.send(sender=type(self), user=self)

    @property
    def role(self) -> str:
        """``system`` for game servers; ``admin`` for superusers and staff holding
        ``anticheat.moderate`` (directly or through a group such as "Moderators");
        ``user`` for everyone else, plain staff included."""
        if self.is_service_account:
            return Role.SYSTEM.value
        if self.is_superuser or (self.is_staff and self.has_perm(MODERATE_PERMISSION)):
            return Role.ADMIN.value
        return Role.USER.value

    @property
    def is_banned(self) -> bool:
        return self.status == self.Status.BANNED

    @property
    def is_ranked(self) -> bool:
        """Players on the leaderboards: active, and neither staff nor a game server.
        The one rule; ``ranked_q`` says the same in SQL, over ``RANKING_FIELDS``."""
        return self.status == self.Status.ACTIVE and not (
            self.is_staff or self.is_superuser or self.is_service_account
        )


# The account fields ``User.is_ranked`` reads: an edit of one of them may move a player on
# or off the leaderboards (leaderboard/receivers.py).
RANKING_FIELDS = ("status", "is_staff", "is_superuser", "is_service_account")


def ranked_q(prefix: str = "") -> models.Q:
    """``User.is_ranked`` as a filter: ``ranked_q()`` on users, ``ranked_q("user__")`` on rows
    that point at one."""
    return models.Q(
        **{
            f"{prefix}status": User.Status.ACTIVE,
            f"{prefix}is_staff": False,
            f"{prefix}is_superuser": False,
            f"{prefix}is_service_account": False,
        }
    )


class Follow(models.Model):
    """One-way: ``follower`` sees ``followee`` on their friends board (no consent needed)."""

    follower = models.ForeignKey(User, on_delete=models.CASCADE, related_name="following")
    followee = models.ForeignKey(User, on_delete=models.CASCADE, related_name="followers")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="accounts_follow_once"),
            models.CheckConstraint(
                condition=~models.Q(follower=models.F("followee")), name="accounts_follow_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.follower_id} follows {self.followee_id}"


# Login sessions and revoked access tokens live in their own module (accounts/revocation.py
# is their service); imported here so that Django registers them with this app.
from .session_models import LoginSession, RevokedAccessToken  # noqa: E402, F401
