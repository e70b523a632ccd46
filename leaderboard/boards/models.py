"""Named leaderboards: a board, its periods and one record per (board, period, player).

Imported by ``leaderboard.models`` so they belong to the ``leaderboard`` app. A record's
period is named by its start (``period_start``), not by a foreign key: periods are a pure
function of the board's schedule (``schedule.py``), so a write never has to create one.
``rank_score`` is the score turned so that higher is always better (the score itself on a
``desc`` board, its negation on an ``asc`` one): one index and one rule serve both orders.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable

from django.db import models
from django.utils import timezone as dj_timezone

_KEY_PATTERN = re.compile(r"\A[a-z0-9_-]{1,64}\Z")  # the contract's board keys
SCORE_LIMIT = 2**53 - 1  # a record's score, submitted or summed: exact in a Redis score (a double)


def is_board_key(text: str) -> bool:
    """Whether ``text`` could be a board's key: anything else (a NUL, which PostgreSQL's
    text cannot hold, an over-long or non-ASCII string) names no board, without a query."""
    return _KEY_PATTERN.match(text) is not None


class Leaderboard(models.Model):
    class Operator(models.TextChoices):
        INCR = "incr", "Add the new score"
        BEST = "best", "Keep the better score"
        SET = "set", "Replace the score"

    class SortOrder(models.TextChoices):
        DESC = "desc", "Higher is better"
        ASC = "asc", "Lower is better"

    key = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=100)
    operator = models.CharField(max_length=4, choices=Operator.choices)
    sort_order = models.CharField(max_length=4, choices=SortOrder.choices, default=SortOrder.DESC)
    action_types = models.JSONField(
        default=list, blank=True, help_text="completions of these types feed an incr board"
    )
    reset_schedule = models.CharField(
        max_length=100, blank=True, default="", help_text="5-field cron, in `timezone`; empty: never resets"
    )
    timezone = models.CharField(max_length=64, default="UTC")
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    period_anchor = models.DateTimeField(
        default=dj_timezone.now, help_text="no period starts before this (moved when the schedule changes)"
    )
    has_records = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key

    @property
    def ascending(self) -> bool:
        return self.sort_order == self.SortOrder.ASC

    def rank_score(self, score: int) -> int:
        return -score if self.ascending else score

    @property
    def score_from_rank(self) -> Callable[[int], int]:
        """The score of a rank score (negated on an ``asc`` board) as one C function: a page
        of 1,000 records calls it 1,000 times."""
        return operator.neg if self.ascending else operator.pos

    def score_of(self, rank_score: int) -> int:
        return self.score_from_rank(rank_score)

    def is_open(self, at) -> bool:
        """Writes are accepted in ``[starts_at, ends_at)``, to the microsecond."""
        return (self.starts_at is None or at >= self.starts_at) and (
            self.ends_at is None or at < self.ends_at
        )


class LeaderboardPeriod(models.Model):
    """A period that was opened: written once by the reset task (``resets.py``)."""

    board = models.ForeignKey(Leaderboard, on_delete=models.CASCADE, related_name="periods")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True, help_text="when the reset task closed it")
    total_players = models.PositiveIntegerField(null=True, blank=True, help_text="at close")
    created_at = models.DateTimeField(default=dj_timezone.now, editable=False)

    class Meta:
        ordering = ["board", "-starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["board", "starts_at"], name="leaderboard_period_once"),
        ]
        indexes = [models.Index(fields=["finished_at", "ends_at"], name="leaderboard_period_due_idx")]

    def __str__(self) -> str:
        return f"{self.board_id} from {self.starts_at:%Y-%m-%d %H:%M}"


class LeaderboardRecord(models.Model):
    # Neither key has an index of its own: ``leaderboard_record_once`` starts with the board,
    # ``leaderboard_record_user_idx`` is the user's. A write changes the rank score, so it is
    # never a HOT update: every index is one more write (6 were 0.75 ms of a record's UPDATE,
    # 4 are 0.59; docs/benchmarks.md, eighth session).
    board = models.ForeignKey(Leaderboard, on_delete=models.CASCADE, related_name="records", db_index=False)
    period_start = models.DateTimeField()
    user = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="board_records", db_index=False
    )
    score = models.BigIntegerField()
    rank_score = models.BigIntegerField(help_text="score turned so that higher is better")
    reached_at = models.DateTimeField(help_text="when the player reached this score (the tie-break)")
    metadata = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["board", "period_start", "user"], name="leaderboard_record_once"),
        ]
        indexes = [
            # Board order: better first, who got there first, then user id (keyset pages).
            models.Index(
                "board",
                "period_start",
                models.F("rank_score").desc(),
                "reached_at",
                "user",
                name="leaderboard_record_order_idx",
            ),
            models.Index(fields=["user"], name="leaderboard_record_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.board_id}/{self.period_start:%Y-%m-%d} {self.user_id}: {self.score}"
