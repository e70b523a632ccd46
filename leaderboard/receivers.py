"""Signal receivers: build the payload at once, send it on commit (nothing for a rollback)."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import User

from . import broadcast, overtaken, ranking
from .boards.receivers import board_row_saved
from .models import ScoreHistory
from .rank_read import ranks_for_scores


@receiver(post_save, sender=ScoreHistory, dispatch_uid="leaderboard.score_history_saved")
def score_history_saved(sender, instance: ScoreHistory, created: bool, **kwargs) -> None:  # noqa: ARG001
    if not created:
        return
    if instance.board_id is not None:  # a named board's write: its own side effects
        board_row_saved(instance)
        return
    user = instance.user

    previous_time = getattr(instance, "previous_score_time", None)

    def after_commit() -> None:
        # Ranks from the committed scores, counted after the transaction (never under the
        # row lock) and before the ranking store moves; the ledger service reuses them.
        previous_rank, new_rank = ranks_for_scores(user, [instance.previous_score, instance.new_score])
        instance.known_ranks = (previous_rank, new_rank)  # type: ignore[attr-defined]  # read by the ledger service
        event = broadcast.ScoreEvent(
            userId=str(user.pk),
            previousScore=instance.previous_score,
            newScore=instance.new_score,
            increment=instance.increment,
            previousRank=previous_rank,
            newRank=new_rank,
        )
        # The ranking first, so the top 10 the broadcaster reads already holds this change.
        ranking.ranking_record_change(instance)
        broadcast.score_changed(event)
        overtaken.global_score_rose(user=user, old_score=instance.previous_score, new_score=instance.new_score,
                                    old_time=previous_time)

    # robust: the score is committed whatever happens here; a failed broadcast is logged, and
    # the next change sends the full top 10 again.
    transaction.on_commit(after_commit, robust=True)


# Account fields that decide whether a player is on the leaderboards.
RANKING_FIELDS = frozenset({"status", "is_staff", "is_superuser", "is_service_account"})


@receiver(post_save, sender=User, dispatch_uid="leaderboard.player_created")
def player_saved(sender, instance: User, created: bool, update_fields=None, **kwargs) -> None:  # noqa: ARG001
    """Every player is ranked from registration on, with score 0; an edit that makes an
    account ranked or unranked (a promotion to staff, say) moves it on or off the boards."""
    if not created:
        if getattr(instance, "tokens_revoked", False) or (
            not instance.is_active and (update_fields is None or "is_active" in update_fields)
        ):
            # Deactivated or given a new password: the tokens of its open sockets stop working.
            transaction.on_commit(lambda: broadcast.disconnect_revoked_user(instance.pk), robust=True)
        if update_fields is None or RANKING_FIELDS & set(update_fields):
            transaction.on_commit(lambda: ranking.ranking_sync_player(instance), robust=True)
        if update_fields is not None and "display_name" in update_fields and instance.is_ranked:
            # A new name on the top 10 goes out like a score change (no-op below the top 10).
            transaction.on_commit(broadcast.schedule_leaderboard_broadcast, robust=True)
        return
    if not instance.is_ranked:
        return

    def after_commit() -> None:
        ranking.ranking_add_player(instance)
        broadcast.schedule_leaderboard_broadcast()

    transaction.on_commit(after_commit, robust=True)
