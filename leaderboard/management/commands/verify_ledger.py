"""Walk every player's hash chain; list or record the daily roots."""

from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from leaderboard import ledger, ledger_roots
from leaderboard.models import LedgerRoot, ScoreHistory


class ProgressBar:
    """``[#####-----]  50%  500000/1000000 rows`` on stderr, redrawn at most 10 times a second."""

    def __init__(self, total: int, stream=None, width: int = 30) -> None:
        self.total, self.stream, self.width, self.drawn = max(total, 1), stream or sys.stderr, width, 0.0

    def __call__(self, done: int, *, final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - self.drawn < 0.1:
            return
        self.drawn = now
        share = min(done / self.total, 1.0)
        filled = int(share * self.width)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\rverifying [{bar}] {share:4.0%} {done}/{self.total} rows")
        if final:
            self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = (
        "Verify every player's ledger hash chain (exit 1 when any is broken); "
        "--roots lists the daily roots, --seal records the missing ones of finished days."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--roots",
            action="store_true",
            help="list the recorded daily roots, each checked against the ledger now",
        )
        parser.add_argument(
            "--seal",
            action="store_true",
            help="record the root of every finished day of the last week that has none",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")

    def handle(self, *args, roots: bool, seal: bool, no_progress: bool, **options) -> None:  # noqa: ARG002
        if seal:
            for day in ledger_roots.days_to_seal(timezone.now().date()):
                entry = ledger_roots.record_root(day)
                self.stdout.write(f"sealed {entry.day} {entry.root}")
        if roots:
            self._roots()
            return
        if seal:
            return
        bar = None if no_progress else ProgressBar(ScoreHistory.objects.count(), self.stderr._out)
        report = ledger.verify_all(progress=bar)
        if bar:
            bar(report.rows, final=True)
        for broken in report.broken:
            self.stdout.write(f"broken: {broken}")
        self.stdout.write(
            f"ledger: {report.rows} rows, {report.players} players, {len(report.broken)} broken"
        )
        if report.broken:
            raise CommandError(f"{len(report.broken)} broken chain(s)", returncode=1)

    def _roots(self) -> None:
        """``day root players rows recorded_at status``; status says whether the ledger as it is
        now still gives that root (``CHANGED``: the history before that midnight was rewritten)."""
        changed = 0
        for entry in LedgerRoot.objects.order_by("day"):
            now_root, _, _ = ledger_roots.compute_root(entry.day)
            status = "ok" if now_root == entry.root else "CHANGED"
            changed += status != "ok"
            self.stdout.write(
                f"{entry.day} {entry.root} players={entry.players} rows={entry.rows} "
                f"recorded={entry.recorded_at:%Y-%m-%dT%H:%M:%SZ} {status}"
            )
        if changed:
            raise CommandError(f"{changed} root(s) no longer match the ledger", returncode=1)
