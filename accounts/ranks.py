"""How accounts learns a player's rank without importing the leaderboard app.

``accounts`` imports no other app, yet its responses carry ``user.rank``. The
leaderboard app registers its ranking store here at start-up; until then (and in this
app's own tests) a plain SQL count gives the same answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from .display_names import display_name_of
from .models import Role, User, ranked_q
from .shapes import UserSummary

RankProvider = Callable[[User], "int | None"]
_provider: RankProvider | None = None


def register_rank_provider(provider: RankProvider) -> None:
    global _provider
    _provider = provider


def ranked_players():
    """Players who appear on leaderboards (``User.is_ranked``)."""
    return User.objects.filter(ranked_q())


def sql_rank(user: User) -> int | None:
    if not user.is_ranked:
        return None
    return 1 + ranked_players().filter(score__gt=user.score).count()


def rank_of(user: User) -> int | None:
    """1 + players with a strictly higher all-time score; None for unranked accounts."""
    if not user.is_ranked:
        return None
    return (_provider or sql_rank)(user)


def user_summary(user: User) -> UserSummary:
    """The contract's ``user`` object."""
    return {
        "id": str(user.id),
        "username": user.username,
        "display_name": display_name_of(user),
        "score": user.score,
        "rank": rank_of(user),
        "role": cast(Role, user.role),
    }
