"""The row shape both ranking stores answer with, and the rank rule they share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Row:
    """One player on one board. ``position`` is 0-based leaderboard order; ``rank`` shares ties."""

    user_id: str
    score: int
    updated_at_us: int
    position: int
    rank: int


class Board(Protocol):
    def total(self) -> int: ...

    def top(self, *, offset: int, limit: int) -> list[Row]: ...

    def standing(self, user_id: str) -> Row | None: ...

    def rank_for(self, score: int, *, exclude_user_id: str | None = None) -> int: ...


def assign_ranks(
    items: list[tuple[str, int, int]], *, offset: int, first_rank: Callable[[int], int]
) -> list[Row]:
    """Rows for a page in leaderboard order: rank = position + 1 unless tied with the one before.

    ``first_rank(score)`` answers 1 + players strictly higher for the first row of the page,
    which only matters when the page starts inside a tie.
    """
    rows: list[Row] = []
    for index, (user_id, score, updated) in enumerate(items):
        position = offset + index
        if rows and rows[-1].score == score:
            rank = rows[-1].rank
        elif not rows and offset > 0:
            rank = first_rank(score)
        else:
            rank = position + 1
        rows.append(Row(user_id, score, updated, position, rank))
    return rows
