"""A board's periods, computed from its reset schedule: no write is needed to open one.

The period that holds an instant ``t`` starts at the latest cron fire ``<= t`` (wall time
in the board's time zone), but never before the board's ``period_anchor``; it ends at the
next fire after its start, or at the season's end when that comes first. Because the
boundary is a pure function of the board's fields, every process switches writes and
reads to the new period at the exact instant, without a lock and without waiting for the
reset task (``resets.py``), which only records the period row and broadcasts.

Wall times are mapped to instants with ``fold=0``: an ambiguous time (the hour repeated
when clocks go back) fires at its first occurrence, a time skipped when clocks go forward
fires at the same offset as before the change (02:30 on a spring-forward night fires at
what the clocks call 03:30), as cron daemons do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from croniter import croniter

_FIELD = re.compile(r"\A[0-9A-Za-z*/,\-]+\Z")
_SLACK = timedelta(hours=3)  # more than any UTC offset change, so a scan never misses a fire
_MAX_STEPS = 10_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAMES = re.compile(r"mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec")


def to_millis(moment: datetime) -> datetime:
    """``moment`` truncated to whole milliseconds (the precision of every public time)."""
    return moment.replace(microsecond=moment.microsecond - moment.microsecond % 1000)


@dataclass(frozen=True)
class PeriodWindow:
    start: datetime
    end: datetime | None

    @cached_property  # a list of 1,000 boards names 1,000 periods
    def id(self) -> str:
        return period_id(self.start)


def period_id(start: datetime) -> str:
    """A period's public id: its start in UTC milliseconds (opaque to clients, sortable)."""
    return str((start - EPOCH) // timedelta(milliseconds=1))


def period_start_of(identifier: str) -> datetime | None:
    """The start a period id names; None when it is not one."""
    if not re.fullmatch(r"[0-9]{1,15}", identifier):
        return None
    return EPOCH + timedelta(milliseconds=int(identifier))


def cron_error(expression: str) -> str | None:
    """Why ``expression`` is not a 5-field cron expression; None when it is one."""
    fields = expression.split()
    if len(fields) != 5:
        return "A cron expression has 5 fields: minute hour day-of-month month day-of-week."
    # No croniter extensions (H hashes, R random, seconds): plain cron, names and L only.
    if not all(_FIELD.match(field) for field in fields) or any(
        re.search(r"[a-km-z]", _NAMES.sub("", field.lower())) for field in fields
    ):
        return "Not a valid cron expression."
    try:
        if not croniter.is_valid(" ".join(fields)):
            return "Not a valid cron expression."
        croniter(" ".join(fields), datetime(2026, 1, 1)).get_next(datetime)
    except Exception:  # noqa: BLE001 - croniter raises several types for bad expressions
        return "Not a valid cron expression."
    return None


_ZONES: frozenset[str] | None = None


def timezone_error(name: str) -> str | None:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    if name not in _ZONES:
        return "Not an IANA time zone name (e.g. UTC, Europe/Paris)."
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "Not an IANA time zone name (e.g. UTC, Europe/Paris)."
    return None


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def previous_fire(expression: str, zone_name: str, at: datetime) -> datetime | None:
    """The latest fire of ``expression`` at or before ``at``; None if none in the scan."""
    zone = ZoneInfo(zone_name)
    wall = (at.astimezone(zone) + _SLACK).replace(tzinfo=None, second=0, microsecond=0) + timedelta(minutes=1)
    scan = croniter(expression, wall)
    for _ in range(_MAX_STEPS):
        instant = _instant(scan.get_prev(datetime), zone)
        if instant <= at:
            return instant
    return None


def next_fire(expression: str, zone_name: str, after: datetime) -> datetime | None:
    """The first fire of ``expression`` strictly after ``after``."""
    zone = ZoneInfo(zone_name)
    wall = (after.astimezone(zone) - _SLACK).replace(tzinfo=None, second=0, microsecond=0)
    scan = croniter(expression, wall)
    for _ in range(_MAX_STEPS):
        instant = _instant(scan.get_next(datetime), zone)
        if instant > after:
            return instant
    return None


def window_at(
    *, schedule: str | None, zone: str, anchor: datetime, ends_at: datetime | None, at: datetime
) -> PeriodWindow:
    """The period of a board (given by its fields) that holds ``at``."""
    start = anchor
    if schedule and at > anchor:
        fired = previous_fire(schedule, zone, at)
        if fired is not None and fired > anchor:
            start = fired
    if ends_at is not None and start >= ends_at:  # after the season: its last period stays current
        start = _last_start_before(schedule, zone, anchor, ends_at)
    end = next_fire(schedule, zone, start) if schedule else None
    if ends_at is not None and (end is None or end > ends_at):
        # A season that ended before the board's first period began (``endsAt`` edited to a
        # moment before the board's creation) leaves that period empty, not ending before it starts.
        end = max(ends_at, start)
    return PeriodWindow(start, end)


def _last_start_before(schedule: str | None, zone: str, anchor: datetime, ends_at: datetime) -> datetime:
    if not schedule or ends_at <= anchor:
        return anchor
    fired = previous_fire(schedule, zone, ends_at - timedelta(microseconds=1))
    return fired if fired is not None and fired > anchor else anchor
