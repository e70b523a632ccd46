"""Period resets: recorded once, by whichever process notices first, never in a request.

Which period a write or read goes to is computed from the schedule (``schedule.py``), so
the switch happens at the exact instant everywhere without any write. What a reset still
has to do once is bookkeeping: close the period that ended (its final player count, its
``finished_at``), record the new one (so ``/periods`` lists it) and broadcast the new,
empty top 10. ``periods_roll`` does that under the board's row lock
(``SELECT ... FOR UPDATE``): a second process waiting on the lock then finds nothing left
to do, so it happens exactly once. Each process runs it from a daemon thread
(``ensure_reset_clock``, started by the first board request or socket) that sleeps until
the next period end (at most one second), so no request ever waits for a reset.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections, transaction

from . import clock, store
from .models import Leaderboard, LeaderboardPeriod, LeaderboardRecord
from .periods import board_window_at, period_at

logger = logging.getLogger("scoreboard.boards.resets")
_clock_lock = threading.Lock()
_clock_thread: threading.Thread | None = None


def periods_roll(board_id: int, now: datetime | None = None) -> bool:
    """Close the board's ended periods and record its current one. True when this call did
    it; False when there was nothing to do (another process had done it)."""
    now = now or clock.now()
    with transaction.atomic():
        board = Leaderboard.objects.select_for_update().filter(pk=board_id).first()
        if board is None:
            return False
        current = period_at(board, now)
        ended = list(
            LeaderboardPeriod.objects.filter(board=board, finished_at__isnull=True, ends_at__lte=now)
        )
        has_current = LeaderboardPeriod.objects.filter(board=board, starts_at=current.start).exists()
        if not ended and has_current:
            return False
        for row in ended:
            row.finished_at = now
            row.total_players = store.ranked_records(board.pk, row.starts_at).count()
            row.save(update_fields=["finished_at", "total_players"])
        if not has_current:
            _backfill(board, before=current.start, now=now)
            LeaderboardPeriod.objects.create(board=board, starts_at=current.start, ends_at=current.end)

        def after_commit() -> None:
            from .live import board_changed

            board_changed(board)

        transaction.on_commit(after_commit, robust=True)
    logger.info("Board %s: period %s opened, %d closed", board.key, current.id, len(ended))
    return True


def _backfill(board: Leaderboard, *, before: datetime, now: datetime) -> None:
    """Periods that got records while no process was running to notice their reset."""
    known = set(LeaderboardPeriod.objects.filter(board=board).values_list("starts_at", flat=True))
    latest = max(known, default=None)
    starts = LeaderboardRecord.objects.filter(board=board, period_start__lt=before)
    if latest is not None:
        starts = starts.filter(period_start__gt=latest)
    for start in sorted(set(starts.values_list("period_start", flat=True)) - known):
        window = board_window_at(board, start)
        LeaderboardPeriod.objects.create(
            board=board,
            starts_at=start,
            ends_at=window.end,
            finished_at=now,
            total_players=store.ranked_records(board.pk, start).count(),
        )


def roll_due(now: datetime | None = None) -> int:
    """Every board whose open period has ended: roll it. The number this call rolled."""
    now = now or clock.now()
    due = set(
        LeaderboardPeriod.objects.filter(finished_at__isnull=True, ends_at__lte=now).values_list(
            "board_id", flat=True
        )
    )
    return sum(periods_roll(board_id, now) for board_id in sorted(due))


def next_due() -> datetime | None:
    return (
        LeaderboardPeriod.objects.filter(finished_at__isnull=True, ends_at__isnull=False)
        .order_by("ends_at")
        .values_list("ends_at", flat=True)
        .first()
    )


def _run_clock() -> None:
    while True:
        pause = 1.0
        try:
            roll_due()
            upcoming = next_due()
            if upcoming is not None:
                pause = min(1.0, max(0.01, (upcoming - clock.now()).total_seconds()))
        except Exception:  # noqa: BLE001 - the clock must outlive a database hiccup
            logger.exception("Board reset clock failed; retrying")
        finally:
            with contextlib.suppress(Exception):  # nothing may end the clock's thread
                close_old_connections()
        time.sleep(pause)


def ensure_reset_clock() -> None:
    """Start this process's reset task once (setting BOARD_RESET_CLOCK, default on)."""
    global _clock_thread
    if _clock_thread is not None or not settings.BOARD_RESET_CLOCK:
        return
    with _clock_lock:
        if _clock_thread is None:
            _clock_thread = threading.Thread(target=_run_clock, name="board-reset-clock", daemon=True)
            _clock_thread.start()
