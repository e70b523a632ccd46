from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.services import refresh_tokens_purge
from actions.maintenance import action_tokens_purge


class Command(BaseCommand):
    help = (
        "Delete action tokens and refresh-token records that expired more than --grace "
        "seconds ago (default one day)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--grace", type=int, default=86400, help="seconds past expiry to keep a token")

    def handle(self, *args, grace: int, **options) -> None:  # noqa: ARG002 - Django's signature
        if grace < 0:
            raise CommandError("--grace must be 0 or more seconds")
        cutoff = timezone.now() - timedelta(seconds=grace)
        actions = action_tokens_purge(expired_before=cutoff)
        refreshes = refresh_tokens_purge(expired_before=cutoff)
        self.stdout.write(f"Deleted {actions} expired action tokens and {refreshes} expired refresh tokens.")
