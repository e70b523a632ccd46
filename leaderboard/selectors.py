"""Leaderboard reads: every endpoint, socket, stream and page gets its entries here."""

from __future__ import annotations

import time
from decimal import ROUND_HALF_UP, Decimal

from accounts.display_names import display_name_of, shown_name
from accounts.models import User
from scoreboard_project import metrics
from scoreboard_project.times import iso_z_micros

from . import ranking
from .periods import Period
from .rows import Board, Row
from .shapes import Entry, LeaderboardAround, LeaderboardTop, PlayerScore


def percentile(rank: int, total: int) -> float:
    """``100 * (total - rank) / total`` rounded half up to one decimal."""
    if total <= 0:
        return 0.0
    exact = Decimal(100 * (total - rank)) / Decimal(total)
    return float(exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def entries_for(rows: list[Row]) -> list[Entry]:
    found = User.objects.filter(id__in=[row.user_id for row in rows]).values_list(
        "id", "username", "display_name"
    )
    names = {str(key): (username, shown_name(display, username)) for key, username, display in found}
    return [
        Entry(
            rank=row.rank,
            user_id=row.user_id,
            username=names[row.user_id][0],
            display_name=names[row.user_id][1],
            score=row.score,
            updated_at=iso_z_micros(row.updated_at_us),
        )
        for row in rows
        if row.user_id in names
    ]


def _timed(query):
    started = time.perf_counter()
    try:
        return query()
    finally:
        metrics.leaderboard_query_time.observe(time.perf_counter() - started)


def top_data(*, entries: list[Entry], last_updated: str, period: Period, total: int) -> LeaderboardTop:
    return {"leaderboard": entries, "last_updated": last_updated, "period": period, "total_players": total}


def leaderboard_top(*, period: Period = "all", limit: int = 10) -> LeaderboardTop:
    def query(board: Board) -> tuple[list[Row], int]:
        return board.top(offset=0, limit=limit), board.total()

    rows, total = _timed(lambda: ranking.read(period, query))
    return top_data(entries=entries_for(rows), last_updated=ranking.last_change(), period=period, total=total)


def top_entries(limit: int = 10) -> list[Entry]:
    """The all-time top ``limit`` (broadcasts and snapshots)."""
    return entries_for(ranking.read("all", lambda board: board.top(offset=0, limit=limit)))


def player_standing(*, user: User, period: Period = "all") -> PlayerScore | None:
    """The score, rank and percentile of a ranked player; None for the unranked."""
    if not user.is_ranked:
        return None

    def query(board: Board) -> tuple[Row | None, int]:
        return board.standing(str(user.pk)), board.total()

    row, total = _timed(lambda: ranking.read(period, query))
    if row is None:  # registered a moment ago, before the board heard of them
        score = user.score if period == "all" else 0
        row = Row(str(user.pk), score, 0, total, ranking.read(period, lambda board: board.rank_for(score)))
        total += 1
    return {
        "user_id": str(user.pk),
        "username": user.username,
        "display_name": display_name_of(user),
        "score": row.score,
        "rank": row.rank,
        "percentile": percentile(row.rank, total),
    }


def leaderboard_around(*, user: User, period: Period = "all", radius: int = 5) -> LeaderboardAround | None:
    """The caller's entry with up to ``radius`` positions before and after it; None when they are not on the board."""
    if not user.is_ranked:
        return None

    def query(board: Board) -> list[Row]:
        mine = board.standing(str(user.pk))
        if mine is None:
            return []
        start = max(0, mine.position - radius)
        return board.top(offset=start, limit=mine.position - start + radius + 1)

    rows = _timed(lambda: ranking.read(period, query))
    entries = entries_for(rows)
    me = next((entry for entry in entries if entry["user_id"] == str(user.pk)), None)
    return None if me is None else {"leaderboard": entries, "me": me}
