"""The side effects of a board's ledger row (``kind=board``), run on commit.

``leaderboard/score_effects.row_committed`` (the on-commit work of the ledger's post_save
receiver) calls ``board_row_committed`` for a row with a board: nothing else writes a
board's set, schedules its top 10 or tells its players they were overtaken for a row.
"""

from __future__ import annotations

from typing import NamedTuple
from weakref import WeakKeyDictionary

from scoreboard_project import after_response

from ..models import ScoreHistory
from ..ranking import redis_store_enabled
from . import store
from .live import TOP, board_changed
from .models import LeaderboardRecord
from .overtaken import board_record_rose
from .periods import period_window
from .schedule import PeriodWindow
from .selectors import Target, ranks_for

_ranks: WeakKeyDictionary[ScoreHistory, list[int]] = WeakKeyDictionary()


class BoardStanding(NamedTuple):
    """The record after a write, as the writer (``services.record_write``) saw it under its lock."""

    period: PeriodWindow
    record: LeaderboardRecord
    changed: bool  # the score
    old_rank_score: int | None
    metadata_changed: bool = False  # a write that may have replaced the metadata alone

    @property
    def rank_score(self) -> int:
        return self.record.rank_score


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
        standing = BoardStanding(period_window(board, record.period_start), record, True, None)
    if not row.user.is_ranked:
        return
    # The new and old rank among the others, counted by the write's own script: the record
    # writer answers with them, and the top 10 is read and compared only when the player is
    # or was in it (on a big board most writes are far below it). On the SQL store these are
    # COUNTs: the top 10 is compared instead, as it always was.
    old = standing.old_rank_score
    wanted = [standing.rank_score] + ([] if old is None else [old]) if standing.changed else []
    ranks = None
    if standing.changed or standing.metadata_changed:  # a page shows both
        ranks = store.write(board.pk, standing.period, standing.record, rank_scores=wanted)
    if standing.changed:
        target = Target(board.key, board, standing.period)
        if redis_store_enabled():
            _ranks[row] = (
                ranks if ranks is not None else ranks_for(target, wanted, exclude_user_id=str(row.user_id))
            )
        if min(_ranks.get(row) or [TOP]) <= TOP:
            board_changed(board)
        # After the writer's answer: the players passed are not in it (``after_response``).
        after_response.defer(
            board_record_rose,
            board=board,
            target=target,
            user=row.user,
            old_rank_score=standing.old_rank_score,
            new_rank_score=standing.rank_score,
        )


def committed_board_ranks(row: ScoreHistory) -> list[int] | None:
    """The ranks ``board_row_committed`` counted for the row (new, then old if any): the
    record writer's answer; None before the commit or when it did not count them."""
    return _ranks.get(row)
