from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from actions.maintenance import action_tokens_purge


class Command(BaseCommand):
    help = "Delete action tokens that expired more than --grace seconds ago (default one day)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--grace", type=int, default=86400, help="seconds past expiry to keep a token")

    def handle(self, *args, grace: int, **options) -> None:  # noqa: ARG002 - Django's signature
        deleted = action_tokens_purge(expired_before=timezone.now() - timedelta(seconds=max(0, grace)))
        self.stdout.write(f"Deleted {deleted} expired action tokens.")
