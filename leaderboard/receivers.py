"""Signal receivers: each registers its work on commit (nothing for a rollback) and holds no rule."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import RANKING_FIELDS, User
from accounts.signals import tokens_revoked

from . import ranking_writes, score_effects
from .boards import store as boards_store
from .broadcast import broadcaster
from .models import ScoreHistory


@receiver(post_save, sender=ScoreHistory, dispatch_uid="leaderboard.score_history_saved")
def score_history_saved(sender, instance: ScoreHistory, created: bool, **kwargs) -> None:  # noqa: ARG001
    """A new ledger row: its side effects run on commit, all in ``score_effects.row_committed``.

    robust: the score is committed whatever happens there; a failed broadcast is logged, and
    the next change sends the full top 10 again.
    """
    if created:
        transaction.on_commit(partial(score_effects.row_committed, instance), robust=True)


def _sync_player(user: User) -> None:
    moved = ranking_writes.ranking_sync_player(user)
    if moved is not None:
        broadcaster.standings_changed(moved)


def _add_player(user: User) -> None:
    ranking_writes.ranking_add_player(user)
    broadcaster.standings_changed()


def _renamed(user: User) -> None:
    """The global top 10 and those of the named boards the player is on, sent again if changed."""
    broadcaster.standings_changed(boards_store.player_boards(user))


def _disconnect_on_commit(user: User) -> None:
    transaction.on_commit(lambda: broadcaster.disconnect_revoked_user(user.pk), robust=True)


@receiver(tokens_revoked, sender=User, dispatch_uid="leaderboard.tokens_revoked")
def player_tokens_revoked(sender, user: User, **kwargs) -> None:  # noqa: ARG001
    """A new password: the tokens of the player's open sockets stop working."""
    _disconnect_on_commit(user)


@receiver(post_save, sender=User, dispatch_uid="leaderboard.player_created")
def player_saved(sender, instance: User, created: bool, update_fields=None, **kwargs) -> None:  # noqa: ARG001
    """Every player is ranked from registration on, with score 0; an edit that makes an
    account ranked or unranked (a promotion to staff, say) moves it on or off the boards."""
    if not created:
        if not instance.is_active and (update_fields is None or "is_active" in update_fields):
            # Deactivated: the tokens of its open sockets stop working.
            _disconnect_on_commit(instance)
        if update_fields is None or set(RANKING_FIELDS) & set(update_fields):
            transaction.on_commit(partial(_sync_player, instance), robust=True)
        if update_fields is not None and "display_name" in update_fields and instance.is_ranked:
            # A new name on a top 10 goes out like a score change (no-op below the top 10).
            transaction.on_commit(partial(_renamed, instance), robust=True)
        return
    if instance.is_ranked:
        transaction.on_commit(partial(_add_player, instance), robust=True)
