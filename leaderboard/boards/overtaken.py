"""``rank:overtaken`` on named boards: who a record write passed (docs/api.md, Players).

A board's set ranks by ``rank_score`` (the score, negated on ``asc`` boards), so "passed"
is the same on both sort orders: every player whose rank score lies strictly between the
writer's old and new one. Read after the set has the write, in one Lua call on Redis
(``leaderboard/overtaken.py``) or one query on SQL; sent through the per-user groups.
"""

from __future__ import annotations

from accounts.models import User

from ..overtaken import LIMIT, Passed, notify_overtaken, passed_after_write, passed_in_sorted_set
from ..redis_store import RedisBoard
from .models import Leaderboard
from .selectors import Target
from .sql_pages import SqlRanking


def _passed_in_sql(source: SqlRanking, *, user_id: str, old: int, new: int) -> list[Passed]:
    rows = (
        source.queryset.filter(**{f"{source.score}__gt": old, f"{source.score}__lt": new})
        .exclude(**{source.user: user_id})
        .order_by(f"-{source.score}", source.time, source.user)
        .values_list(source.user, source.score)[:LIMIT]
    )
    ranks: dict[int, int] = {}
    passed = []
    for passed_id, rank_score in rows:
        if rank_score not in ranks:
            ranks[rank_score] = source.rank_for(rank_score)
        passed.append(Passed(str(passed_id), int(rank_score), ranks[rank_score]))
    return passed


def board_record_rose(
    *, board: Leaderboard, target: Target, user: User, old_rank_score: int | None, new_rank_score: int
) -> None:
    """Called on commit, after the board's set has the write. A first record passes nobody:
    the player was not on the board before."""
    if old_rank_score is None or new_rank_score <= old_rank_score or not user.is_ranked:
        return
    user_id = str(user.pk)

    def query(source, check_ready: bool = False) -> list[Passed]:
        if isinstance(source, RedisBoard):
            return passed_in_sorted_set(
                source.client,
                source.keys.zset,
                scorer_id=user_id,
                old_score=old_rank_score,
                new_score=new_rank_score,
                ready_key=source.keys.ready if check_ready else None,
            )
        return _passed_in_sql(source, user_id=user_id, old=old_rank_score, new=new_rank_score)

    found = passed_after_write(target.fast(checked=False), query, lambda: target.read(query))
    passed = [Passed(p.user_id, board.score_of(p.score), p.rank) for p in found]
    notify_overtaken(board=board.key, by=user, passed=passed)
