from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class ScoreHistory(models.Model):
    """The ledger: one row per score change, never updated or deleted.

    A completed action adds a row with a positive increment; a voided one is reversed by
    a compensating row (``kind=void``) that points at it. ``User.score`` always equals the
    sum of a player's increments in rows without a board; a named board's write is a row
    of ``kind=board`` with its board (see ``boards/``).
    """

    class Kind(models.TextChoices):
        ACTION = "action", "Action completed"
        VOID = "void", "Voided by a moderator"
        BOARD = "board", "Named leaderboard write"

    # Every ledger row is an insert into each index: none is kept that another one covers
    # (``leaderboard_user_time_idx`` starts with the user, ``leaderboard_time_user_idx`` with
    # the time), and the board keys, null on every completion, are indexed only where set.
    user = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="score_history", db_index=False
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.ACTION)
    action_id = models.UUIDField(null=True, blank=True, unique=True)
    action_type = models.CharField(max_length=50, blank=True)
    reference = models.CharField(max_length=100, blank=True)
    once_per_reference = models.BooleanField(default=False)
    increment = models.BigIntegerField()
    previous_score = models.BigIntegerField()
    new_score = models.BigIntegerField()
    completion_time_ms = models.PositiveIntegerField(null=True, blank=True)
    server_elapsed_ms = models.PositiveIntegerField(null=True, blank=True)
    proof = models.JSONField(default=dict, blank=True)
    signature = models.TextField(blank=True)
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    completed_by = models.ForeignKey(
        "accounts.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="who completed it: the player, or a game server on the player's behalf; "
        "for a void, the moderator",
    )
    note = models.TextField(blank=True)
    # A named board's write (kind=board): the board and period it went to. Such a row never
    # moves User.score, so the global sums read only rows without a board.
    board = models.ForeignKey(
        "leaderboard.Leaderboard",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger",
        db_index=False,
    )
    board_period_start = models.DateTimeField(null=True, blank=True)
    fed_by = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fed_boards",
        help_text="a board row: the completion (or void) whose points it carries",
        db_index=False,
    )
    created_at = models.DateTimeField(default=timezone.now)
    hash = models.CharField(
        max_length=64,
        blank=True,
        default="",
        editable=False,
        help_text="SHA-256 chained over the player's previous row (see leaderboard/ledger.py)",
    )

    class Meta:
        verbose_name_plural = "score history"
        ordering = ["-created_at", "-id"]
        constraints = [
            # The database is the last word on "once per reference" for non-repeatable types.
            models.UniqueConstraint(
                fields=["user", "action_type", "reference"],
                condition=Q(once_per_reference=True, kind="action"),
                name="leaderboard_once_per_reference",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="leaderboard_user_time_idx"),
            models.Index(fields=["created_at", "user"], name="leaderboard_time_user_idx"),
            models.Index(
                fields=["board"], condition=Q(board__isnull=False), name="leaderboard_ledger_board_idx"
            ),
            models.Index(
                fields=["fed_by"], condition=Q(fed_by__isnull=False), name="leaderboard_ledger_fed_by_idx"
            ),
        ]

    def __str__(self) -> str:
        sign = "+" if self.increment >= 0 else ""
        return f"{self.user_id} {sign}{self.increment} ({self.kind} {self.action_type})"


class LedgerRoot(models.Model):
    """The day's root: one hash over every player's chain head at the end of a UTC day."""

    day = models.DateField(unique=True, help_text="the UTC day whose end the root seals")
    root = models.CharField(max_length=64)
    players = models.PositiveIntegerField(help_text="players with at least one row by then")
    rows = models.PositiveBigIntegerField(help_text="ledger rows written by then")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day"]

    def __str__(self) -> str:
        return f"{self.day} {self.root}"


from .boards.models import Leaderboard, LeaderboardPeriod, LeaderboardRecord  # noqa: E402

__all__ = ["Leaderboard", "LeaderboardPeriod", "LeaderboardRecord", "LedgerRoot", "ScoreHistory"]
