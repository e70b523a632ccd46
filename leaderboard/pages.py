"""The live scoreboard page at ``/``: the top 10 rendered by the server, then kept live
by static/leaderboard/live.js over ``/ws/leaderboard/live``.

``top_entries`` is a stand-in for ``leaderboard.selectors.leaderboard_top(period="all",
limit=...)``, which is being written in parallel; at merge the view calls the selector
and this function goes away. It reads the same ranking rules in SQL.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.ranks import ranked_players

PAGE_SIZE = 10


def _iso(value) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def top_entries(limit: int = PAGE_SIZE) -> list[dict[str, Any]]:
    """The contract's entries ``{rank, userId, username, score, updatedAt}``, best first.

    Ties keep the contract's order (who reached the score first, then id) and share a
    rank: 1 + the number of players with a strictly higher score.
    """
    rows = list(
        ranked_players()
        .order_by("-score", "score_updated_at", "id")
        .values("id", "username", "score", "score_updated_at")[:limit]
    )
    entries: list[dict[str, Any]] = []
    for position, row in enumerate(rows):
        if position and row["score"] == rows[position - 1]["score"]:
            rank = entries[-1]["rank"]
        else:
            # Within the top N the players above are exactly the rows before this one.
            rank = position + 1
        entries.append({
            "rank": rank, "userId": str(row["id"]), "username": row["username"],
            "score": row["score"], "updatedAt": _iso(row["score_updated_at"]),
        })
    return entries


@require_GET
def live_page(request: HttpRequest) -> HttpResponse:
    entries = top_entries(PAGE_SIZE)
    now = timezone.now()
    return render(request, "leaderboard/live.html", {
        "entries": entries,
        "rendered_at": _iso(now),
        "rendered_at_display": now.astimezone(UTC).strftime("%d %b %Y, %H:%M:%S UTC"),
        "page_size": PAGE_SIZE,
    })
