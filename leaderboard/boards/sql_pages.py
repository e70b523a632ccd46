"""The SQL side of a board: the same reads as the Redis set, over an ordered queryset.

Used for named boards (records: ``rank_score``, ``reached_at``, ``user_id``) and for the
built-in ``global`` board (players: ``score``, ``score_updated_at``, ``id``) whenever
Redis is not configured, not ready or not reachable.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from ..periods import from_micros, to_micros
from ..rows import Row, assign_ranks
from .redis_pages import Position


@dataclass(frozen=True)
class SqlRanking:
    queryset: QuerySet
    score: str
    time: str
    user: str

    def _ordered(self) -> QuerySet:
        return self.queryset.order_by(f"-{self.score}", self.time, self.user)

    def _items(self, queryset: QuerySet) -> list[tuple[str, int, int]]:
        return [
            (str(u), int(s), to_micros(t))
            for u, s, t in queryset.values_list(self.user, self.score, self.time)
        ]

    def total(self) -> int:
        return self.queryset.count()

    def rank_for(self, score: int, *, exclude_user_id: str | None = None) -> int:
        higher = self.queryset.filter(**{f"{self.score}__gt": score})
        if exclude_user_id is not None:
            higher = higher.exclude(**{self.user: exclude_user_id})
        return 1 + higher.count()

    def top(self, *, offset: int, limit: int) -> list[Row]:
        items = self._items(self._ordered()[offset : offset + limit])
        return assign_ranks(items, offset=offset, first_rank=self.rank_for)

    def _ahead(self, position: Position) -> Q:
        s, t, u = self.score, self.time, self.user
        moment = from_micros(position.updated_at_us)
        return (
            Q(**{f"{s}__gt": position.rank_score})
            | Q(**{s: position.rank_score, f"{t}__lt": moment})
            | Q(**{s: position.rank_score, t: moment, f"{u}__lte": position.user_id})
        )

    def page_after(self, after: Position | None, limit: int) -> tuple[list[Row], int]:
        queryset = self._ordered()
        start = 0
        if after is not None:
            queryset = queryset.exclude(self._ahead(after))
        items = self._items(queryset[:limit])
        if items and after is not None:
            first = Position(items[0][1], items[0][2], items[0][0])
            start = self.queryset.filter(self._ahead(first)).count() - 1
        return assign_ranks(items, offset=start, first_rank=self.rank_for), self.total()

    def standing(self, user_id: str) -> Row | None:
        found = self.queryset.filter(**{self.user: user_id}).values_list(self.score, self.time).first()
        if found is None:
            return None
        position = Position(int(found[0]), to_micros(found[1]), user_id)
        ahead = self.queryset.filter(self._ahead(position)).count() - 1
        return Row(
            user_id, position.rank_score, position.updated_at_us, ahead, self.rank_for(position.rank_score)
        )
