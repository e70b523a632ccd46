"""Reads the actions API needs from other apps.

``leaderboard_top`` stands in for the leaderboard app's selector (issue 5), which this
branch does not have yet: at merge, replace its body with a call to
``leaderboard.selectors.leaderboard_top(period="all", limit=limit)``.
"""

from __future__ import annotations

from typing import Any

from accounts.ranks import ranked_players


def leaderboard_top(limit: int = 10) -> list[dict[str, Any]]:
    """The all-time top ``limit``: score desc, who reached it first, then id; shared ranks."""
    rows = ranked_players().order_by("-score", "score_updated_at", "id").values(
        "id", "username", "score", "score_updated_at"
    )[:limit]
    entries: list[dict[str, Any]] = []
    for position, row in enumerate(rows, start=1):
        tied = entries and entries[-1]["score"] == row["score"]
        entries.append({
            "rank": entries[-1]["rank"] if tied else position,
            "user_id": str(row["id"]),
            "username": row["username"],
            "score": row["score"],
            "updated_at": row["score_updated_at"],
        })
    return entries
