"""Anti-cheat fixtures: a superuser, and the side effects moderation asks of the leaderboard."""

from __future__ import annotations

import pytest

from accounts.models import User
from leaderboard import ranking_writes
from leaderboard.broadcast import broadcaster
from tests.helpers.moderation import SideEffects
from tests.helpers.players import make_player


@pytest.fixture
def side_effects(monkeypatch) -> SideEffects:
    """Ranking and broadcast calls recorded instead of made (asked for by the tests that check them)."""
    seen = SideEffects()
    monkeypatch.setattr(
        ranking_writes, "ranking_remove_player", lambda user: seen.calls.append(("remove", user.pk)) or []
    )
    monkeypatch.setattr(
        ranking_writes, "ranking_restore_player", lambda user: seen.calls.append(("restore", user.pk)) or []
    )
    monkeypatch.setattr(
        broadcaster, "schedule_leaderboard_broadcast", lambda: seen.calls.append(("broadcast", None))
    )
    monkeypatch.setattr(
        broadcaster, "disconnect_banned_user", lambda uid: seen.calls.append(("disconnect", uid))
    )
    return seen


@pytest.fixture
def admin_user(db) -> User:
    return make_player("root", is_staff=True, is_superuser=True)
