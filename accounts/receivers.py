"""Signal receivers of accounts: each registers its work on commit and holds no rule."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import User
from .name_cache import name_changed

NAME_FIELDS = frozenset({"username", "display_name"})


@receiver(post_save, sender=User, dispatch_uid="accounts.names_saved")
def names_saved(sender, instance: User, created: bool, update_fields=None, **kwargs) -> None:  # noqa: ARG001
    """A save that may change a name (a full save, or one naming a name field) refreshes the
    cached names on commit; a new account is cached by its first reader."""
    if not created and (update_fields is None or NAME_FIELDS & set(update_fields)):
        transaction.on_commit(partial(name_changed, str(instance.pk)), robust=True)


@receiver(post_delete, sender=User, dispatch_uid="accounts.names_deleted")
def names_deleted(sender, instance: User, **kwargs) -> None:  # noqa: ARG001
    transaction.on_commit(partial(name_changed, str(instance.pk)), robust=True)  # gone: removed
