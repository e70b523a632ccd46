"""The live page's board picker: ``/?board={key}`` shows that board (default ``global``)."""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import quote

from django.core.cache import cache
from django.http import Http404

from ..ranking import REDIS_ERRORS
from .definitions import board_lookup
from .models import Leaderboard
from .shapes import RecordData

PICKER_LIMIT = 200
PICKER_CACHE_KEY = "leaderboard:boards:picker"


def page_board(key: str | None) -> Leaderboard | None:
    """The named board the page shows; None for the global board; 404 for an unknown key."""
    if not key or key == "global":
        return None
    board = board_lookup(key)
    if board is None:
        raise Http404("No such leaderboard.")
    return board


def board_top(key: str, limit: int) -> list[RecordData]:
    from .selectors import records_page

    return records_page(key=key, limit=limit)["records"]


def _cached_picker() -> list[tuple[str, str]] | None:
    """The cached board list; None when it is not cached or the cache (Redis) is down: the
    page then reads the database, as its top 10 does."""
    try:
        return cache.get(PICKER_CACHE_KEY)
    except REDIS_ERRORS:
        return None


def picker_context(board: Leaderboard | None, page_size: int) -> dict[str, Any]:
    key = "global" if board is None else board.key
    named = _cached_picker()
    if named is None:  # the page stays within its query budget: the list is cached, cleared on edits
        named = list(Leaderboard.objects.values_list("key", "name")[:PICKER_LIMIT])
        with contextlib.suppress(*REDIS_ERRORS):
            cache.set(PICKER_CACHE_KEY, named, 60)
    choices = [("global", "Global"), *named]
    return {
        "board_key": key,
        "board_name": "Global" if board is None else board.name,
        "board_choices": choices,
        "ws_path": "/ws/leaderboard/live" + ("" if board is None else f"?board={quote(key)}"),
        "api_url": f"/api/v1/leaderboard?limit={page_size}"
        if board is None
        else f"/api/v1/leaderboards/{quote(key)}/records?limit={page_size}",
    }
