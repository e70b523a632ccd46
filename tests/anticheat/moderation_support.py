"""Fixtures for the moderation tests (imported by them: tests/anticheat/conftest.py is left
to the anti-cheat tests): a flagged completion, and a record of the side effects asked
of the leaderboard app (ranking and broadcast are implemented in parallel)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from accounts.models import User
from anticheat.models import Flag
from leaderboard import ranking_writes
from leaderboard.broadcast import broadcaster
from leaderboard.models import ScoreHistory
from leaderboard.services import score_history_record


@dataclass
class SideEffects:
    calls: list[tuple[str, object]] = field(default_factory=list)

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


@pytest.fixture
def side_effects(monkeypatch) -> SideEffects:
    seen = SideEffects()
    monkeypatch.setattr(ranking_writes, "ranking_remove_player", lambda user: seen.calls.append(("remove", user.pk)) or [])
    monkeypatch.setattr(ranking_writes, "ranking_restore_player", lambda user: seen.calls.append(("restore", user.pk)) or [])
    monkeypatch.setattr(broadcaster, "schedule_leaderboard_broadcast", lambda: seen.calls.append(("broadcast", None)))
    monkeypatch.setattr(broadcaster, "disconnect_banned_user", lambda uid: seen.calls.append(("disconnect", uid)))
    return seen


def flag_for(user: User, *, increment: int = 100, evidence: dict | None = None,
             entry: ScoreHistory | None = None) -> Flag:
    """A completion worth ``increment`` (through the ledger service) and a flag on it."""
    if entry is None:
        entry = score_history_record(user=user, increment=increment, action_type="COMPLETE_LEVEL",
                                     completed_by=user).entry
    return Flag.objects.create(
        user=user, score_history=entry, reason=Flag.Reason.FAST_COMPLETION,
        evidence=evidence if evidence is not None else {"completion_time_ms": 12, "usual_ms": 40000},
    )


@pytest.fixture
def admin_user(db) -> User:
    from tests.conftest import make_player

    return make_player("root", is_staff=True, is_superuser=True)
