"""Board definitions kept per process, trusted while one shared version in Redis holds.

Every page read and record write needs its board's row (operator, order, schedule,
season). Read from PostgreSQL each time it was a query and an ORM row per request; here
a process keeps each board it has read together with the version it was read under, and
uses it again while the version in Redis is unchanged: one ``GET``, no SQL. Every change
to a board's row sets a new random version on commit (``version_bump``), so each process
reads the board again on its next request. A random token rather than a counter: a
version lost with Redis' data never comes back to a value a stale board was read under.

A record write does not ask Redis (``board_for_write``): it takes the copy whatever the
version, and checks it against the row under the player's lock, in the lock's own statement
(``confirmed``): on PostgreSQL each copy carries its row's ``xmin``, which any change to the
row replaces, edits made without the services included.

Without Redis (the embedded defaults), or when Redis fails, every lookup reads the
database, as before.
"""

from __future__ import annotations

import logging
import secrets
import threading

from django.db import connection
from django.db.models.expressions import RawSQL

from scoreboard_project.redis_client import get_redis, redis_key

from ..ranking import redis_store_enabled
from .models import Leaderboard, is_board_key
from .store import REDIS_ERRORS

logger = logging.getLogger("scoreboard.boards")
_boards: dict[str, tuple[str, Leaderboard]] = {}
_all: list[tuple[str, list[Leaderboard]]] = []  # [(version, every board)] once read
_lock = threading.Lock()


def _version_key() -> str:
    return redis_key("boards", "version")


def _current_version() -> str | None:
    """The shared version (set now if missing); None without Redis or when it fails."""
    if not redis_store_enabled():
        return None
    try:
        client = get_redis()
        version = client.get(_version_key())
        if version is None:
            client.set(_version_key(), secrets.token_hex(8), nx=True)
            version = client.get(_version_key())
        return None if version is None else str(version)  # the client decodes responses
    except REDIS_ERRORS as exc:
        logger.warning("Board definitions read from the database: %s", exc)
        return None


def board_lookup(key: str) -> Leaderboard | None:
    """The board ``key`` (None if there is none): from this process' copy when the shared
    version says it is current, else from the database. The row is shared by the threads of
    the process: read it, never change it."""
    if not is_board_key(key):
        return None
    version = _current_version()
    found = _boards.get(key)
    if version is not None and found is not None and found[0] == version:
        return found[1]
    board = _read(key)
    if version is not None and board is not None:
        with _lock:
            if len(_boards) > 10_000:
                _boards.clear()
            _boards[key] = (version, board)
    return board


def _read(key: str) -> Leaderboard | None:
    """The board's row; on PostgreSQL with its version (``row_version``: the row's ``xmin``)."""
    rows = Leaderboard.objects.filter(key=key)
    if connection.vendor == "postgresql":
        rows = rows.annotate(row_version=RawSQL("xmin::text", ()))
    return rows.first()


def board_for_write(key: str) -> Leaderboard | None:
    """A record write's board: this process' copy without asking for the shared version (the
    write then checks it: ``confirmed``), else ``board_lookup``. Elsewhere than on PostgreSQL,
    ``board_lookup``."""
    found = _boards.get(key) if connection.vendor == "postgresql" else None
    return found[1] if found is not None else board_lookup(key)


def confirmed(board: Leaderboard, row_version: str | None) -> Leaderboard | None:
    """``board`` if its row is still the one the copy was read from (``row_version``: the row's
    version, read under the write's lock by ``ledger_rows.lock_player_row``), else the row read
    again, which then replaces the copy (None: no such board any more). Elsewhere than on
    PostgreSQL, ``board`` (``board_for_write`` read it under the shared version)."""
    if connection.vendor != "postgresql":
        return board
    if row_version is not None and getattr(board, "row_version", None) == row_version:
        return board
    fresh = _read(board.key)
    with _lock:
        found = _boards.get(board.key)
        if fresh is not None and found is not None and found[1] is board:
            _boards[board.key] = (found[0], fresh)
    return fresh


def boards_all() -> list[Leaderboard]:
    """Every board, in the list's order: this process' copy while the shared version holds
    (a list of 1,000 boards was half its time building their ORM rows), else the database.
    Shared by the process' threads: read the rows, never change them."""
    version = _current_version()
    found = _all[0] if _all else None
    if version is not None and found is not None and found[0] == version:
        return found[1]
    boards = list(Leaderboard.objects.all())
    if version is not None:
        with _lock:
            _all[:] = [(version, boards)]
    return boards


def version_bump() -> None:
    """On commit of any change to a board's row: every process reads its boards again."""
    with _lock:
        _boards.clear()
        _all.clear()
    if redis_store_enabled():
        try:
            get_redis().set(_version_key(), secrets.token_hex(8))
        except REDIS_ERRORS as exc:
            # The other processes keep their copies until the version moves: say so loudly.
            logger.error("Board definitions changed but the shared version was not moved: %s", exc)


def forget_local() -> None:
    """Tests: this process keeps no board (a test database starts from scratch)."""
    with _lock:
        _boards.clear()
        _all.clear()
