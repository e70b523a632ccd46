"""UTC calendar windows of the period leaderboards and the Redis buckets that hold them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

Period = Literal["all", "daily", "weekly", "monthly"]
PERIODS: tuple[Period, ...] = ("all", "daily", "weekly", "monthly")
TIMED_PERIODS: tuple[Period, ...] = ("daily", "weekly", "monthly")


@dataclass(frozen=True)
class Window:
    period: Period
    start: datetime | None  # None: all time
    end: datetime | None
    bucket: str  # "all", "daily:2026-11-23", "weekly:2026-W48", "monthly:2026-11"


def window_for(period: Period, at: datetime | None = None) -> Window:
    """The window of ``period`` that contains ``at`` (default: now)."""
    at = (at or datetime.now(UTC)).astimezone(UTC)
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "all":
        return Window("all", None, None, "all")
    if period == "daily":
        return Window(period, day, day + timedelta(days=1), f"daily:{day:%Y-%m-%d}")
    if period == "weekly":
        start = day - timedelta(days=day.weekday())
        year, week, _ = start.isocalendar()
        return Window(period, start, start + timedelta(days=7), f"weekly:{year}-W{week:02d}")
    if period == "monthly":
        start = day.replace(day=1)
        end = (start + timedelta(days=32)).replace(day=1)
        return Window(period, start, end, f"monthly:{start:%Y-%m}")
    raise ValueError(f"unknown period {period!r}")


def to_micros(moment: datetime) -> int:
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond


def from_micros(micros: int) -> datetime:
    return datetime.fromtimestamp(micros // 1_000_000, tz=UTC).replace(microsecond=micros % 1_000_000)
