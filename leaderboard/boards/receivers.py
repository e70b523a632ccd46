"""The side effects of a board's ledger row (``kind=board``), run on commit."""

from __future__ import annotations

from django.db import transaction

from ..models import ScoreHistory
from . import store
from .models import LeaderboardRecord


def board_row_saved(instance: ScoreHistory) -> None:
    """Called by the ledger's post_save receiver for a row with a board.

    The writer (``services.record_write``) hangs ``board_standing`` on the row after the
    save, before the commit; the callback reads it then. A row written any other way is
    looked up in the records table instead.
    """
    board = instance.board
    period_start = instance.board_period_start
    assert board is not None and period_start is not None  # called for board rows only

    def after_commit() -> None:
        from .live import board_changed
        from .overtaken import board_record_rose
        from .selectors import Target, period_window

        standing = getattr(instance, "board_standing", None)
        if standing is None:
            record = LeaderboardRecord.objects.filter(
                board_id=instance.board_id, period_start=period_start, user_id=instance.user_id
            ).first()
            if record is None:
                return
            standing = (period_window(board, record.period_start), record.rank_score, record.reached_at, True, None)
        period, rank_score, reached_at, changed, old_rank_score = standing
        if changed and instance.user.is_ranked:
            store.write(board.pk, period, str(instance.user_id), rank_score, reached_at)
            board_changed(board)
            board_record_rose(board=board, target=Target(board.key, board, period), user=instance.user,
                              old_rank_score=old_rank_score, new_rank_score=rank_score)

    transaction.on_commit(after_commit, robust=True)
