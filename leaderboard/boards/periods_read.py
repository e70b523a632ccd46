"""``GET /leaderboards/{key}/periods``: finished periods, newest first, with their top 3.

Finished periods never change (except that a ban hides a player), so they are read from
the records table directly: its index gives a period's top 3 without touching Redis.
"""

from __future__ import annotations

from scoreboard_project.times import iso_z

from . import clock
from .cursors import cursor_decode, cursor_encode
from .models import LeaderboardPeriod
from .periods import period_at
from .redis_pages import Position
from .schedule import PeriodWindow, period_id, period_start_of
from .selectors import GLOBAL_KEY, Target, board_get, records_for
from .shapes import FinishedPeriod, PeriodsPage

_NO_USER = "00000000-0000-0000-0000-000000000000"


def periods_page(*, key: str, limit: int = 20, cursor: str | None = None) -> PeriodsPage:
    if key == GLOBAL_KEY:
        if cursor:  # never issued for this board: a cursor here is another board's, or forged
            cursor_decode(cursor, board_key=key, period_id="periods")
        return {"periods": [], "nextCursor": None}
    board = board_get(key)
    now = clock.now()
    current = period_at(board, now)
    rows = LeaderboardPeriod.objects.filter(board=board).order_by("-starts_at")
    # The current period is finished too once the season is over.
    if current.end is None or current.end > now:
        rows = rows.filter(starts_at__lt=current.start)
    if cursor:
        after = cursor_decode(cursor, board_key=key, period_id="periods")
        rows = rows.filter(starts_at__lt=period_start_of(str(after.rank_score)))
    found = list(rows[: limit + 1])  # one more: is this the last page?
    more, found = len(found) > limit, found[:limit]
    periods = [_period_data(key, board, row) for row in found]
    next_cursor = None
    if more:
        millis = int(period_id(found[-1].starts_at))
        next_cursor = cursor_encode(board_key=key, period_id="periods", after=Position(millis, 0, _NO_USER))
    return {"periods": periods, "nextCursor": next_cursor}


def _period_data(key: str, board, row: LeaderboardPeriod) -> FinishedPeriod:
    target = Target(key, board, PeriodWindow(row.starts_at, row.ends_at))
    ranking = target.sql()
    rows, total = ranking.page_after(None, 3)
    return {
        "id": period_id(row.starts_at),
        "startsAt": iso_z(row.starts_at),
        "endsAt": iso_z(row.ends_at) if row.ends_at else None,
        "totalPlayers": total,
        "top": records_for(target, rows),
    }
