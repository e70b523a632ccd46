"""The one time format of every response, socket message and page: ISO-8601 UTC,
milliseconds, ``Z`` (``2026-11-23T13:35:39.004Z``)."""

from __future__ import annotations

import datetime


def iso_z(value: datetime.datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return value.isoformat(timespec="milliseconds") + "Z"
