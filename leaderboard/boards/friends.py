"""The friends board of a named board: the caller and the players they follow, ranked
among themselves, with each one's board rank (docs/api.md, ``records/friends``).

The same reads as ``global`` (``leaderboard/friends.py``): one Lua call on the board's
sorted set (its members carry the rank score, so "higher is better" on both sort orders),
the SQL ranking otherwise.
"""

from __future__ import annotations

from dataclasses import replace

from accounts.friends import friends_of
from accounts.models import User

from ..friends import board_standings, friend_records
from ..shapes import FriendRecord
from .models import LeaderboardRecord
from .selectors import target_for


def board_friends_records(*, user: User, key: str, period: str = "current") -> list[FriendRecord]:
    target = target_for(key, period)
    players = [user, *friends_of(user)] if user.is_ranked else friends_of(user)
    ids = [str(player.pk) for player in players]
    standings = target.read(lambda source: board_standings(source, ids))
    # Rank scores back to the board's scores; ``asc`` boards rank the lower score first.
    standings = {uid: replace(found, score=target.score_of(found.score)) for uid, found in standings.items()}
    assert target.board is not None and target.period is not None  # a named board (global is served apart)
    records = friend_records(players, standings, descending=not target.board.ascending)
    metadata = {
        str(user_id): value
        for user_id, value in LeaderboardRecord.objects.filter(
            board=target.board,
            period_start=target.period.start,
            user_id__in=list(standings),
        ).values_list("user_id", "metadata")
    }
    for record in records:
        record["metadata"] = metadata.get(record["user_id"], {})
    return records
