"""The one time format (ISO-8601 UTC, milliseconds, Z), from a datetime or from microseconds."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from leaderboard.periods import from_micros, to_micros
from scoreboard_project.times import iso_z, iso_z_micros


def test_iso_z_converts_to_utc_and_truncates_to_milliseconds():
    moment = datetime(2026, 11, 23, 14, 35, 39, 4999, tzinfo=timezone(timedelta(hours=1)))
    assert iso_z(moment) == "2026-11-23T13:35:39.004Z"


@pytest.mark.parametrize(
    "micros",
    [
        0,
        999,  # under a millisecond: .000
        999_999,  # truncated, never rounded up into the next second
        to_micros(datetime(2024, 2, 29, 23, 59, 59, 999_999, tzinfo=UTC)),
        253_402_300_799_999_999,  # 9999-12-31T23:59:59.999Z, the last datetime can hold
    ],
)
def test_from_microseconds_it_is_the_same_text(micros):
    assert iso_z_micros(micros) == iso_z(from_micros(micros))


def test_the_same_text_on_random_times():
    rng = random.Random(20261130)
    for micros in (rng.randrange(0, 4_102_444_800_000_000) for _ in range(20_000)):
        assert iso_z_micros(micros) == iso_z(from_micros(micros))
