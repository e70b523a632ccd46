"""Daily roots: one hash over every player's chain head at the end of each UTC day.

Published, they make a rewrite of the past visible: an operator with database access can
recompute a whole chain so that it verifies again, but not the roots already handed out.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings

logger = logging.getLogger(__name__)

ROOT_VERSION = "sb-ledger-root-v1"
AUTO_ROOT_DAYS = 7  # a write seals at most the last week of finished days that have no root


def day_end(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def compute_root(day: date) -> tuple[str, int, int]:
    """``(root, players, rows)`` at the end of UTC ``day``: SHA-256 over the lines
    ``<user id> <hash of the player's last row written before midnight>`` in user-id order,
    after a ``sb-ledger-root-v1`` / ``<day>`` header. Depends only on rows stamped before
    midnight, so any process, at any later time, computes the same root from an intact ledger."""
    from django.db.models import OuterRef, Subquery

    from accounts.models import User

    from .models import ScoreHistory

    end = day_end(day)
    last_row = (
        ScoreHistory.objects.filter(user=OuterRef("pk"), created_at__lt=end)
        .order_by("-id")
        .values("hash")[:1]
    )
    heads = (
        User.objects.annotate(head=Subquery(last_row))
        .filter(head__isnull=False)
        .order_by("id")
        .values_list("id", "head")
    )
    digest = hashlib.sha256(f"{ROOT_VERSION}\n{day.isoformat()}\n".encode())
    players = 0
    for user_id, head in heads.iterator(chunk_size=5000):
        digest.update(f"{user_id} {head}\n".encode())
        players += 1
    rows = ScoreHistory.objects.filter(created_at__lt=end).count()
    return digest.hexdigest(), players, rows


def record_root(day: date):
    """The day's ``LedgerRoot``, computed and stored once (the unique day decides a race)."""
    from .models import LedgerRoot

    existing = LedgerRoot.objects.filter(day=day).first()
    if existing:
        return existing
    root, players, rows = compute_root(day)
    entry, _ = LedgerRoot.objects.get_or_create(
        day=day, defaults={"root": root, "players": players, "rows": rows}
    )
    return entry


def days_to_seal(today: date) -> list[date]:
    """Finished days of the last week without a root, oldest first."""
    from .models import LedgerRoot

    first = today - timedelta(days=AUTO_ROOT_DAYS)
    sealed = set(LedgerRoot.objects.filter(day__gte=first).values_list("day", flat=True))
    return [day for day in (first + timedelta(days=n) for n in range(AUTO_ROOT_DAYS)) if day not in sealed]


_sealed_before: date | None = None  # this process saw roots for every day before this one
_sealing = threading.Lock()


def notice_write(now: datetime) -> threading.Thread | None:
    """Called after each ledger write: the first write a process sees on a new UTC day
    seals the finished days in a background thread (never in the request). A shared
    cache lock lets one process compute while the others skip; the unique day makes it
    exactly once even if the lock expires. Answers the thread started, if any."""
    global _sealed_before
    today = now.astimezone(UTC).date()
    if _sealed_before == today or not settings.LEDGER_DAILY_ROOTS:
        return None
    if not _sealing.acquire(blocking=False):
        return None
    _sealed_before = today
    thread = threading.Thread(target=_seal, args=(today,), name="ledger-roots", daemon=True)
    thread.start()
    return thread


def _seal(today: date) -> None:
    global _sealed_before
    from django.core.cache import cache
    from django.db import connections

    lock = f"ledger:sealing:{today.isoformat()}"
    try:
        if cache.add(lock, 1, timeout=600):
            for day in days_to_seal(today):
                record_root(day)
    except Exception:  # robust: a failed root is retried by the next process's first write
        _sealed_before = None
        logger.exception("ledger: the daily root could not be recorded")
    finally:
        connections.close_all()  # this thread's own connections
        _sealing.release()
