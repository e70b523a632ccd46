from __future__ import annotations

from django.db import models
from django.utils import timezone


class Flag(models.Model):
    """A suspicion raised by a detector; the score stands until a moderator settles it."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        APPROVED = "approved", "Approved (score kept)"
        VOIDED = "voided", "Voided (score reversed)"

    class Reason(models.TextChoices):
        FAST_COMPLETION = "fast_completion", "Completion far below usual times"
        SCORE_VELOCITY = "score_velocity", "Burst of score velocity"
        NEAR_MINIMUM_TIMING = "near_minimum_timing", "Repeated near-minimum timings"
        LOW_SPREAD = "low_spread", "Durations with almost no spread"
        REGULAR_RHYTHM = "regular_rhythm", "Machine-regular rhythm between completions"
        CLAIMED_OFFSET = "claimed_offset", "Claimed times that do not match the server's"

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="flags")
    score_history = models.ForeignKey(
        "leaderboard.ScoreHistory", null=True, blank=True, on_delete=models.PROTECT, related_name="flags"
    )
    reason = models.CharField(max_length=30, choices=Reason.choices)
    evidence = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "status", "created_at"], name="anticheat_flag_user_open_idx")]
        # Role ``admin`` (docs/api.md, "Accounts"): superusers, and staff holding this permission,
        # usually through the "Moderators" group (migration 0002).
        permissions = [("moderate", "Can moderate: the moderation API, bans and flags")]

    def __str__(self) -> str:
        return f"{self.reason} ({self.status})"


class AuditEntry(models.Model):
    """Who did what, when and why: refused completions, flags, bans, moderation."""

    class Event(models.TextChoices):
        COMPLETION_REFUSED = "completion_refused", "Completion refused"
        REQUEST_REFUSED = "request_refused", "Action request refused"
        FLAG_RAISED = "flag_raised", "Flag raised"
        FLAG_APPROVED = "flag_approved", "Flag approved"
        FLAG_VOIDED = "flag_voided", "Flag voided"
        PLAYER_BANNED = "player_banned", "Player banned"
        AUTO_BAN = "auto_ban", "Player banned automatically"
        PLAYER_UNBANNED = "player_unbanned", "Player unbanned"
        DISPLAY_NAME_RESET = "display_name_reset", "Display name reset"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="who acted (empty for the system itself)",
    )
    subject = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
        help_text="the player concerned",
    )
    event = models.CharField(max_length=40, db_index=True)
    code = models.CharField(max_length=40, blank=True)
    reason = models.TextField(blank=True)
    client_ip = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit trail"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.event} {self.code}"
