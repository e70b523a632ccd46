"""The current period of a board, cached per process until it ends."""

from __future__ import annotations

import threading
from datetime import datetime

from . import clock
from .models import Leaderboard, LeaderboardPeriod
from .schedule import PeriodWindow, window_at

_cache: dict[tuple, PeriodWindow] = {}
_lock = threading.Lock()


def _signature(board: Leaderboard) -> tuple:
    return (board.pk, board.reset_schedule, board.timezone, board.period_anchor, board.ends_at)


def board_window_at(board: Leaderboard, at: datetime) -> PeriodWindow:
    """The period window of ``board``'s schedule that holds ``at``, computed (no database access)."""
    return window_at(
        schedule=board.reset_schedule,
        zone=board.timezone,
        anchor=board.period_anchor,
        ends_at=board.ends_at,
        at=at,
    )


def period_at(board: Leaderboard, at: datetime) -> PeriodWindow:
    """The period of ``board`` that holds ``at`` (no database access)."""
    key = _signature(board)
    found = _cache.get(key)
    if found is not None and found.start <= at and (found.end is None or at < found.end):
        return found
    window = board_window_at(board, at)
    if window.start <= at and (window.end is None or at < window.end):
        with _lock:
            if len(_cache) > 10_000:
                _cache.clear()
            _cache[key] = window
    return window


def window_for_start(board: Leaderboard, start: datetime) -> PeriodWindow:
    """The period that starts at ``start`` (a finished one, or the current one)."""
    return period_at(board, start)


def period_window(board: Leaderboard, start: datetime) -> PeriodWindow:
    """The period of ``board`` that starts at ``start`` (its recorded row if it has one)."""
    current = period_at(board, clock.now())
    if start == current.start:
        return current
    row = LeaderboardPeriod.objects.filter(board=board, starts_at=start).values_list("ends_at", flat=True)
    for end in row:
        return PeriodWindow(start, end)
    computed = board_window_at(board, start)
    return computed if computed.start == start else PeriodWindow(start, None)
