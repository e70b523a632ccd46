"""The side effects of a board's ledger row (``kind=board``), run on commit.

``leaderboard/score_effects.row_committed`` (the on-commit work of the ledger's post_save
receiver) calls ``board_row_committed`` for a row with a board: nothing else writes a
board's set, schedules its top 10 or tells its players they were overtaken for a row.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from ..models import ScoreHistory
from . import store
from .live import board_changed
from .models import LeaderboardRecord
from .overtaken import board_record_rose
from .periods import period_window
from .schedule import PeriodWindow
from .selectors import Target


class BoardStanding(NamedTuple):
    """The record after a write, as the writer (``services.record_write``) saw it under its lock."""

    period: PeriodWindow
    rank_score: int
    reached_at: datetime
    changed: bool
    old_rank_score: int | None


def board_row_committed(row: ScoreHistory, standing: BoardStanding | None) -> None:
    """On commit: the record's standing in the board's set, then its top 10 and ``overtaken``.

    ``standing`` is the writer's (``score_effects.note_written``); a row written any other
    way is looked up in the records table instead.
    """
    board = row.board
    assert board is not None and row.board_period_start is not None  # called for board rows only
    if standing is None:
        record = LeaderboardRecord.objects.filter(
            board_id=row.board_id, period_start=row.board_period_start, user_id=row.user_id
        ).first()
        if record is None:
            return
        standing = BoardStanding(period_window(board, record.period_start), record.rank_score, record.reached_at,
                                 True, None)
    if standing.changed and row.user.is_ranked:
        store.write(board.pk, standing.period, str(row.user_id), standing.rank_score, standing.reached_at)
        board_changed(board)
        board_record_rose(board=board, target=Target(board.key, board, standing.period), user=row.user,
                          old_rank_score=standing.old_rank_score, new_rank_score=standing.rank_score)
