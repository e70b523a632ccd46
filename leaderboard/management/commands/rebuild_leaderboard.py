"""Rebuild the Redis ranking (all time and the current periods) from the database."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from leaderboard import ranking_rebuilds
from leaderboard.broadcast import broadcaster


class Command(BaseCommand):
    help = "Rebuild the Redis leaderboards (all time, today, this week, this month) from PostgreSQL."

    def handle(self, *args, **options) -> None:  # noqa: ARG002
        if not ranking_rebuilds.redis_store_enabled():
            self.stdout.write(
                "REDIS_URL is not set: the leaderboards are read from the database; nothing to do."
            )
            return
        try:
            buckets = ranking_rebuilds.rebuild_all()
        except ranking_rebuilds.REDIS_ERRORS as exc:
            raise CommandError(f"Redis is unreachable: {exc}") from exc
        broadcaster.standings_changed()
        self.stdout.write(self.style.SUCCESS(f"Rebuilt: {', '.join(buckets)}"))
