"""The side effects of a board's ledger row (``kind=board``), run on commit."""

from __future__ import annotations

from django.db import transaction

from ..models import ScoreHistory
from ..ranking import redis_store_enabled
from . import store
from .models import LeaderboardRecord


def board_row_saved(instance: ScoreHistory) -> None:
    """Called by the ledger's post_save receiver for a row with a board.

    The writer (``services.record_write``) hangs ``board_standing`` on the row after the
    save, before the commit; the callback reads it then. A row written any other way is
    looked up in the records table instead.
    """
    board = instance.board

    def after_commit() -> None:
        from .live import TOP, board_changed
        from .overtaken import board_record_rose
        from .selectors import Target, period_window, ranks_for

        standing = getattr(instance, "board_standing", None)
        if standing is None:
            record = LeaderboardRecord.objects.filter(
                board_id=instance.board_id, period_start=instance.board_period_start, user_id=instance.user_id
            ).first()
            if record is None:
                return
            standing = (period_window(board, record.period_start), record.rank_score, record.reached_at, True, None)
        period, rank_score, reached_at, changed, old_rank_score = standing
        if changed and instance.user.is_ranked:
            store.write(board.pk, period, str(instance.user_id), rank_score, reached_at)
            target = Target(board.key, board, period)
            if redis_store_enabled():
                # The new and old rank among the others (one script): the record writer
                # answers with them, and the top 10 is read and compared only when the player
                # is or was in it (on a big board most writes are far below it). On the SQL
                # store these are COUNTs: the top 10 is compared instead, as it always was.
                wanted = [rank_score] + ([] if old_rank_score is None else [old_rank_score])
                instance.board_ranks = ranks_for(target, wanted, exclude_user_id=str(instance.user_id))
            if min(getattr(instance, "board_ranks", None) or [TOP]) <= TOP:
                board_changed(board)
            board_record_rose(board=board, target=target, user=instance.user,
                              old_rank_score=old_rank_score, new_rank_score=rank_score)

    transaction.on_commit(after_commit, robust=True)
