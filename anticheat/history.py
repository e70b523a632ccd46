"""A player's recent completions, as the detectors read them: through the shared cache."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

from accounts.models import User
from leaderboard.models import ScoreHistory

HISTORY_CACHE_SECONDS = 3600
HISTORY_FIELDS = ("id", "action_type", "increment", "completion_time_ms", "server_elapsed_ms", "created_at")


def _key(user_id: Any) -> str:
    return f"anticheat:history:v2:{user_id}"


def _row_of(entry: ScoreHistory) -> dict[str, Any]:
    return {name: getattr(entry, name) for name in HISTORY_FIELDS}


def _history_from_db(user: User) -> list[dict[str, Any]]:
    rows = ScoreHistory.objects.filter(user=user, kind=ScoreHistory.Kind.ACTION).order_by(
        "-created_at", "-id"
    )
    return list(rows.values(*HISTORY_FIELDS)[: settings.ANTICHEAT_HISTORY_SIZE])


def recent_history(
    user: User, entry: ScoreHistory, arrived_at: datetime | None = None
) -> list[dict[str, Any]]:
    """The player's last ANTICHEAT_HISTORY_SIZE completions, newest first, ``entry`` included.

    Each row's ``arrived_at`` is when its completion reached the server (``entry``'s is
    ``arrived_at``); rows read back from the ledger after a cache miss only have their
    ``created_at``, which is later by the time the request waited for a worker.

    Read through the shared cache: the hot path costs no query; a miss (first completion
    in an hour, a Redis restart) reads the ledger once. Two completions of one player
    racing may drop one row from the cached copy; for a heuristic that is acceptable,
    and the per-second completion limit makes it rare.
    """
    try:
        cached = cache.get(_key(user.pk))
    except (RedisError, OSError):
        cached = None
    if cached is None:
        history = _history_from_db(user)
    else:
        history = [row for row in cached if row["id"] != entry.pk]
        history.insert(0, _row_of(entry))
        history = history[: settings.ANTICHEAT_HISTORY_SIZE]
    for row in history:
        if row["id"] == entry.pk:
            row["arrived_at"] = arrived_at or entry.created_at
    try:
        cache.set(_key(user.pk), history, HISTORY_CACHE_SECONDS)
    except (RedisError, OSError):
        pass
    return history


def arrival(row: dict[str, Any]) -> datetime:
    """When a completion reached the server, as well as the row knows it."""
    return row.get("arrived_at") or row["created_at"]


def history_forget(user_id: Any) -> None:
    """Drop a player's cached history (after a moderator voids a score, say)."""
    try:
        cache.delete(_key(user_id))
    except (RedisError, OSError):
        pass
