"""Daily roots: sealed once per finished UTC day, listed and re-checked by verify_ledger --roots."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import User
from leaderboard import ledger, ledger_roots
from leaderboard.models import LedgerRoot, ScoreHistory
from leaderboard.services import score_history_record
from tests.helpers.racing import race


def _score(user: User, points: int) -> ScoreHistory:
    return score_history_record(user=user, increment=points, action_type="COMPLETE_LEVEL").entry


def _backdate(user: User, days: float) -> None:
    """Move a player's rows back in time and re-chain them, as a migration of old data would."""
    for entry in ScoreHistory.objects.filter(user=user):
        ScoreHistory.objects.filter(pk=entry.pk).update(created_at=entry.created_at - timedelta(days=days))
    ledger.backfill(ScoreHistory, User, user_ids=[user.pk])


def _roots() -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("verify_ledger", "--roots", stdout=out)
    except CommandError as exc:
        return exc.returncode, out.getvalue()
    return 0, out.getvalue()


@pytest.mark.django_db
def test_it_roots_a_day_on_the_heads_at_midnight_only(alice, bob):
    _score(alice, 100)
    _score(bob, 200)
    _backdate(alice, 2)
    _backdate(bob, 2)
    yesterday = timezone.now().astimezone(UTC).date() - timedelta(days=1)
    root, players, rows = ledger_roots.compute_root(yesterday)
    assert (players, rows) == (2, 2)
    _score(alice, 100)  # today: not part of yesterday's root
    assert ledger_roots.compute_root(yesterday) == (root, 2, 2)
    assert ledger_roots.compute_root(yesterday - timedelta(days=3))[1:] == (0, 0)


@pytest.mark.django_db
def test_it_lists_the_roots_and_shows_a_rewritten_past(alice):
    _score(alice, 100)
    _score(alice, 100)
    _backdate(alice, 2)
    call_command("verify_ledger", "--seal", stdout=io.StringIO())
    assert LedgerRoot.objects.count() == ledger_roots.AUTO_ROOT_DAYS
    code, out = _roots()
    assert code == 0 and out.count(" ok") == ledger_roots.AUTO_ROOT_DAYS
    # An operator rewrites alice's first row and re-chains her history: every chain verifies again...
    first = ScoreHistory.objects.filter(user=alice).order_by("id").first()
    ScoreHistory.objects.filter(pk=first.pk).update(increment=9000)
    ledger.backfill(ScoreHistory, User, user_ids=[alice.pk])
    verify = io.StringIO()
    call_command("verify_ledger", "--no-progress", stdout=verify)
    assert "0 broken" in verify.getvalue()
    # ...but the roots recorded before no longer match.
    code, out = _roots()
    assert code == 1 and "CHANGED" in out


@pytest.mark.django_db(transaction=True)
def test_it_seals_the_finished_days_once_on_the_first_write_of_a_day(settings, alice):
    _score(alice, 100)
    _backdate(alice, 1)
    settings.LEDGER_DAILY_ROOTS = True
    ledger_roots._sealed_before = None
    now = datetime.now(UTC)
    threads = [t for t in race(4, lambda _: ledger_roots.notice_write(now)) if t is not None]
    assert len(threads) == 1  # one process notices; the others skip
    threads[0].join(timeout=30)
    assert LedgerRoot.objects.count() == ledger_roots.AUTO_ROOT_DAYS
    assert ledger_roots.notice_write(now) is None  # sealed for today already
    # Another process (its own memory) finds them recorded and adds nothing.
    ledger_roots._sealed_before = None
    thread = ledger_roots.notice_write(now)
    thread.join(timeout=30)
    assert LedgerRoot.objects.count() == ledger_roots.AUTO_ROOT_DAYS
    yesterday = now.date() - timedelta(days=1)
    assert LedgerRoot.objects.get(day=yesterday).root == ledger_roots.compute_root(yesterday)[0]
