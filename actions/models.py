from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone


class ActionType(models.Model):
    """The catalog: what an action is worth and how long it believably takes."""

    code = models.CharField(max_length=50, unique=True)
    points = models.PositiveIntegerField()
    min_duration_ms = models.PositiveIntegerField()
    max_duration_ms = models.PositiveIntegerField()
    repeatable = models.BooleanField(default=True)
    authoritative = models.BooleanField(
        default=False, help_text="only a game server (role system) may complete it"
    )
    enabled = models.BooleanField(default=True)
    daily_limit = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="completions per player per UTC day, counted at request; empty: no cap of its own",
    )
    references = models.JSONField(
        null=True,
        blank=True,
        help_text="the allowed references (a list of strings); empty: any reference",
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_duration_ms__gte=models.F("min_duration_ms")),
                name="actions_actiontype_bounds_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        if self.max_duration_ms is not None and self.min_duration_ms is not None:
            if self.max_duration_ms < self.min_duration_ms:
                raise ValidationError({"max_duration_ms": "must be at least the minimum duration"})
        if self.references is not None:
            problem = references_problem(self.references)
            if problem:
                raise ValidationError({"references": problem})

    def allows_reference(self, reference: str) -> bool:
        return self.references is None or reference in self.references


# What the catalog reads and the admin edits of an action type.
CATALOG_FIELDS = (
    "code", "points", "min_duration_ms", "max_duration_ms", "repeatable", "authoritative", "enabled", "daily_limit",
    "references",
)  # fmt: skip
REFERENCE_MAX_LENGTH = 100
REFERENCES_MAX_COUNT = 1000


def references_problem(value: object) -> str | None:
    """Why ``value`` is not a valid list of allowed references, or None."""
    if not isinstance(value, list):
        return "must be a list of strings"
    if len(value) > REFERENCES_MAX_COUNT:
        return f"at most {REFERENCES_MAX_COUNT} references"
    for item in value:
        if not isinstance(item, str) or not item.strip():
            return "every reference is a non-empty string"
        if item != item.strip():
            return f"{item!r} has leading or trailing spaces"
        if len(item) > REFERENCE_MAX_LENGTH:
            return f"a reference is at most {REFERENCE_MAX_LENGTH} characters"
    if len(set(value)) != len(value):
        return "references must not repeat"
    return None


class ActionToken(models.Model):
    """One server-started action. Only a hash of the signed token is kept.

    ``used_at`` is claimed with one conditional UPDATE: the row whose update count is 1
    won the completion; everyone else sees TOKEN_ALREADY_USED.
    """

    class Outcome(models.TextChoices):
        PENDING = "pending", "Pending"
        COMPLETED = "completed", "Completed"
        PROOF_FAILED = "proof_failed", "Proof failed (burned)"
        REFUSED = "refused", "Refused after claim"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Indexed by ``actions_token_user_time_idx``, which starts with it (one index less per insert).
    user = models.ForeignKey(
        "accounts.User", on_delete=models.CASCADE, related_name="action_tokens", db_index=False
    )
    action_type = models.ForeignKey(ActionType, on_delete=models.PROTECT, related_name="tokens")
    reference = models.CharField(max_length=100, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    points = models.PositiveIntegerField()
    token_hash = models.CharField(max_length=64, unique=True)
    proof_key = models.CharField(max_length=64)
    key_id = models.CharField(max_length=16)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=15, choices=Outcome.choices, default=Outcome.PENDING)

    class Meta:
        indexes = [models.Index(fields=["user", "-created_at"], name="actions_token_user_time_idx")]

    def __str__(self) -> str:
        return f"{self.action_type_id}:{self.id}"
