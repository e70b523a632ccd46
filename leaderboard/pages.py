"""The live scoreboard page at ``/``: the top 10 rendered by the server, then kept live
by static/leaderboard/live.js over ``/ws/leaderboard/live``.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from scoreboard_project.times import iso_z

from .boards.page import board_top, page_board, picker_context
from .boards.shapes import RecordData
from .selectors import top_entries

PAGE_SIZE = 10


def _rows(records: list[RecordData]) -> list[dict[str, Any]]:
    """A named board's records (camelCase, as its API writes them) in the rows the template
    reads: the keys of the global board's ``Entry``."""
    return [
        {"rank": r["rank"], "user_id": r["userId"], "display_name": r["displayName"], "score": r["score"]}
        for r in records
    ]


@require_safe
def live_page(request: HttpRequest) -> HttpResponse:
    # A private leaderboard (LEADERBOARD_PUBLIC=false) is not rendered for anonymous
    # visitors; the page's script shows it once it authenticates the socket with a token.
    private = not settings.LEADERBOARD_PUBLIC and not request.user.is_authenticated
    board = page_board(request.GET.get("board"))
    entries = (
        []
        if private
        else (top_entries(PAGE_SIZE) if board is None else _rows(board_top(board.key, PAGE_SIZE)))
    )
    now = timezone.now()
    return render(
        request,
        "leaderboard/live.html",
        {
            **picker_context(board, PAGE_SIZE),
            "entries": entries,
            "private": private,
            "rendered_at": iso_z(now),
            "rendered_at_display": now.astimezone(UTC).strftime("%d %b %Y, %H:%M:%S UTC"),
            "page_size": PAGE_SIZE,
        },
    )
