"""Recompute the anti-cheat baselines now (the server processes also do it in the background)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from anticheat.baselines import baselines_refresh


class Command(BaseCommand):
    help = "Recompute every action type's baseline of server-measured durations."

    def handle(self, *args, **options):
        for action_type, baseline in baselines_refresh().items():
            if baseline is None:
                self.stdout.write(f"{action_type}: not enough established players, no baseline")
            else:
                self.stdout.write(
                    f"{action_type}: {baseline.players} players, median {baseline.median_ms} ms, "
                    f"fast edge {baseline.threshold_ms} ms"
                )
