"""Real time of the named boards: each board's top 10 under the global board's rules.

A change is sent only when the board's top 10 changed; the first at once, later ones
coalesced to one per BROADCAST_INTERVAL_MS per board (leading and trailing edge, the
window shared between processes through the cache, which is Redis in the production
shape). Every board goes through the one group the hubs listen on, with its key in the
message; each hub hands the frames only to the sockets and streams watching that board.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections

from scoreboard_project.times import iso_z

from ..broadcast import channel
from ..broadcast.hub import LEADERBOARD_GROUP
from ..broadcast.payloads import BoardState, dumps, with_changes
from ..broadcast.state import previous_scores
from ..models import ScoreHistory
from .models import Leaderboard
from .shapes import RecordData

logger = logging.getLogger("scoreboard.boards.live")
TOP = 10
_ERRORS = (redis.RedisError, OSError)
_LAST_TTL_S = 86_400
_seq_lock = threading.Lock()
_timers: dict[str, threading.Timer] = {}
_timers_lock = threading.Lock()


def _key(board: str, name: str) -> str:
    return f"bcast:board:{board}:{name}"


def _next_seq(board: str) -> int:
    """Rising per board across processes: max(previous + 1, now in µs)."""
    floor = int(time.time() * 1_000_000)
    with _seq_lock:
        cache.add(_key(board, "seq"), 0, timeout=None)
        value = cache.incr(_key(board, "seq"))
        if value < floor:
            cache.set(_key(board, "seq"), floor, timeout=None)
            value = floor
    return value


def top_entries(board: str) -> list[RecordData]:
    from .selectors import records_page

    return records_page(key=board, limit=TOP)["records"]


def _build(board: str, entries: list[RecordData], before: BoardState | None, seq: int) -> BoardState:
    updated_at = iso_z(datetime.now(UTC))
    previous = previous_scores(entries, before, ScoreHistory.objects.filter(board__key=board))
    live = dumps({"board": board, "leaderboard": entries, "updatedAt": updated_at, "seq": seq})
    scoreboard = dumps(
        {"board": board, "leaderboard": with_changes(entries, previous), "updatedAt": updated_at, "seq": seq}
    )
    return BoardState(seq=seq, updatedAt=updated_at, entries=entries, live=live, scoreboard=scoreboard)  # type: ignore[typeddict-item]


def _same(before: BoardState | None, entries: list[RecordData]) -> bool:
    if before is None:
        return False
    shape = [(e["userId"], e["score"], e["rank"], e["username"], e["displayName"]) for e in entries]
    sent: Sequence[Mapping[str, object]] = before["entries"]  # a board's records, not the global Entry
    return shape == [(e["userId"], e["score"], e["rank"], e["username"], e.get("displayName")) for e in sent]


def publish_if_changed(board: str) -> bool:
    entries = top_entries(board)
    before = cache.get(_key(board, "last"))
    if _same(before, entries):
        return False
    state = _build(board, entries, before, _next_seq(board))
    cache.set(_key(board, "last"), state, timeout=_LAST_TTL_S)
    channel.group_send(
        LEADERBOARD_GROUP,
        {
            "type": "hub.board",
            "board": board,
            "seq": state["seq"],
            "live": state["live"],
            "scoreboard": state["scoreboard"],
        },
    )
    return True


def current_state(board: str) -> BoardState:
    """The last top 10 sent for ``board``, or (none yet) the current one: a new socket's snapshot."""
    try:
        state = cache.get(_key(board, "last"))
        if state is None:
            state = _build(board, top_entries(board), None, _next_seq(board))
            cache.set(_key(board, "last"), state, timeout=_LAST_TTL_S)
        return state
    finally:
        close_old_connections()


def newer_states(known: dict[str, int]) -> list[tuple[str, BoardState]]:
    """The boards of ``known`` (key -> the seq a hub sent last) whose shared state is newer:
    what a hub missed while its channel layer reconnected (one cache read, two if any)."""
    if not known:
        return []
    seqs = cache.get_many([_key(board, "seq") for board in known])
    behind = [board for board, seq in known.items() if int(seqs.get(_key(board, "seq")) or 0) > seq]
    if not behind:
        return []
    states = cache.get_many([_key(board, "last") for board in behind])
    return [
        (board, state)
        for board in behind
        if (state := states.get(_key(board, "last"))) is not None and state["seq"] > known[board]
    ]


def board_changed(board: Leaderboard | str) -> None:
    """The board's top 10 may have changed (on commit): send it under the broadcast rules."""
    key = board if isinstance(board, str) else board.key
    interval = settings.BROADCAST_INTERVAL_MS
    try:
        if interval == 0 or cache.add(_key(key, "window"), 1, timeout=interval / 1000):
            if not publish_if_changed(key) and interval:
                cache.delete(_key(key, "window"))  # nothing sent: the next change may go at once
        else:
            cache.set(_key(key, "pending"), 1, timeout=60)
            _arm(key, interval)
    except _ERRORS:
        logger.warning("Board %s broadcast skipped: Redis unreachable", key)


def _arm(key: str, interval_ms: int) -> None:
    with _timers_lock:
        timer = _timers.get(key)
        if timer is not None and timer.is_alive():
            return
        timer = _timers[key] = threading.Timer(interval_ms / 1000 + 0.002, _trailing, args=(key,))
        timer.daemon = True
        timer.start()


def _trailing(key: str) -> None:
    with _timers_lock:
        _timers.pop(key, None)
    try:
        interval = settings.BROADCAST_INTERVAL_MS
        if cache.add(_key(key, "window"), 1, timeout=max(interval, 1) / 1000):
            taken = cache.get(_key(key, "pending"))
            cache.delete(_key(key, "pending"))
            if not (taken and publish_if_changed(key)):
                cache.delete(_key(key, "window"))
        elif cache.get(_key(key, "pending")):
            _arm(key, interval)  # another process holds the window: look again after it
    except Exception:  # noqa: BLE001 - a timer thread must not die silently
        logger.exception("Trailing broadcast of board %s failed", key)
    finally:
        close_old_connections()


def cancel_timers() -> None:
    """Tests: no timer outlives its test."""
    with _timers_lock:
        for timer in _timers.values():
            timer.cancel()
        _timers.clear()
