"""Which board a socket or stream watches: ``?board={key}`` (default ``global``)."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.db import database_sync_to_async

from .definitions import board_lookup
from .resets import ensure_reset_clock

GLOBAL = "global"
UNKNOWN_BOARD = 4404  # close code of a socket asking for a board that does not exist
MAX_BOARDS_PER_SOCKET = 20


def board_of(scope: dict) -> str:
    """The ``board`` query parameter of a socket's scope (the last one given), else global."""
    values = parse_qs((scope.get("query_string") or b"").decode("latin-1")).get("board")
    return values[-1] if values else GLOBAL


def _exists(key: str) -> bool:
    return key == GLOBAL or board_lookup(key) is not None


async def board_exists(key: str) -> bool:
    if key == GLOBAL:
        return True
    ensure_reset_clock()  # a process serving named boards' sockets records their resets too
    return await database_sync_to_async(_exists)(key)
