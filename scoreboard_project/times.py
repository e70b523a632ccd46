"""The one time format of every response, socket message and page: ISO-8601 UTC,
milliseconds, ``Z`` (``2026-11-23T13:35:39.004Z``)."""

from __future__ import annotations

import datetime
import time


def iso_z(value: datetime.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return value.isoformat(timespec="milliseconds") + "Z"


def iso_z_micros(micros: int) -> str:
    """``iso_z`` of a time given in microseconds since the epoch (UTC), without building a
    datetime: a page of 1,000 records formats 1,000 of them (about a third of the cost)."""
    seconds, rest = divmod(micros, 1_000_000)
    year, month, day, hour, minute, second = time.gmtime(seconds)[:6]
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}.{rest // 1000:03d}Z"
