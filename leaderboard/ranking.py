"""The ranking store behind the selectors.

PLACEHOLDER INTERFACE (foundation commit): SQL only. Issue 5 replaces the bodies with
Redis sorted sets (+ SQL fallback) keeping these signatures.
"""

from __future__ import annotations

from accounts.models import User
from accounts.ranks import ranked_players

from .models import ScoreHistory


def rank_for_score(user: User, score: int, *, exclude_self: bool = True) -> int | None:
    """The all-time rank ``user`` has (or would have) with ``score``: 1 + strictly higher."""
    if not user.is_ranked:
        return None
    others = ranked_players().filter(score__gt=score)
    if exclude_self:
        others = others.exclude(pk=user.pk)
    return 1 + others.count()


def ranking_record_change(entry: ScoreHistory) -> None:
    """Called on commit after a ledger row: bring every ranking set up to date."""


def ranking_remove_player(user: User) -> None:
    """A ban: take the player off every leaderboard at once."""


def ranking_restore_player(user: User) -> None:
    """An unban: the player is back with the score they had."""
