"""Players for the tests: ``make_player`` with a known password, and the leaderboard's time origin."""

from __future__ import annotations

from datetime import UTC, datetime

from accounts.models import User

PASSWORD = "correct-horse-battery-9"
T0 = datetime(2026, 1, 1, tzinfo=UTC)  # scores are "reached at" minutes after it (tests/leaderboard)


def make_player(username: str, *, score: int = 0, **fields) -> User:
    user = User(username=username, email=f"{username}@example.com", score=score, **fields)
    user.set_password(PASSWORD)
    user.save()
    return user
