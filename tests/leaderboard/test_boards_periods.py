"""Resets in the board's time zone (DST included), exactly once; seasons close to the ms."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from leaderboard.boards import resets, selectors
from leaderboard.boards.models import LeaderboardPeriod, LeaderboardRecord
from leaderboard.boards.schedule import period_id, window_at
from tests.helpers.boards import new_board, write
from tests.helpers.players import make_player

EPOCH_MONTH = datetime(2026, 3, 1, tzinfo=UTC)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def period_of(schedule: str, zone: str, moment: datetime):
    return window_at(schedule=schedule, zone=zone, anchor=EPOCH_MONTH, ends_at=None, at=moment)


def test_it_resets_at_local_midnight_in_paris_across_spring_forward():
    # 2026-03-29: clocks go 02:00 -> 03:00; midnight is 23:00Z before, 22:00Z after.
    before = period_of("0 0 * * *", "Europe/Paris", utc(2026, 3, 28, 22, 59, 59, 999000))
    assert (before.start, before.end) == (utc(2026, 3, 27, 23), utc(2026, 3, 28, 23))
    day = period_of("0 0 * * *", "Europe/Paris", utc(2026, 3, 28, 23))
    assert (day.start, day.end) == (utc(2026, 3, 28, 23), utc(2026, 3, 29, 22))  # a 23-hour day
    after = period_of("0 0 * * *", "Europe/Paris", utc(2026, 3, 29, 22))
    assert after.start == utc(2026, 3, 29, 22)


def test_it_fires_a_skipped_wall_time_once_after_the_change_in_paris():
    window = period_of("30 2 * * *", "Europe/Paris", utc(2026, 3, 29, 1, 31))
    assert window.start == utc(2026, 3, 29, 1, 30) and window.end == utc(2026, 3, 30, 0, 30)


def test_it_resets_weekly_at_monday_midnight_in_new_york_across_fall_back():
    # 2026-11-01: clocks go 02:00 -> 01:00 (EDT -4 -> EST -5).
    old = period_of("0 0 * * 1", "America/New_York", utc(2026, 11, 2, 4, 59, 59))
    assert (old.start, old.end) == (utc(2026, 10, 26, 4), utc(2026, 11, 2, 5))  # a 169-hour week
    new = period_of("0 0 * * 1", "America/New_York", utc(2026, 11, 2, 5))
    assert (new.start, new.end) == (utc(2026, 11, 2, 5), utc(2026, 11, 9, 5))


def test_it_fires_a_repeated_wall_time_once_in_new_york():
    window = period_of("30 1 * * *", "America/New_York", utc(2026, 11, 1, 6, 45))  # the second 01:45
    assert window.start == utc(2026, 11, 1, 5, 30) and window.end == utc(2026, 11, 2, 6, 30)


@pytest.mark.django_db(transaction=True)
def test_it_moves_writes_to_the_new_period_at_the_exact_instant_and_keeps_the_old_one(
    monkeypatch, api_client
):
    created = utc(2026, 3, 28, 12)
    clock = {"now": created}
    monkeypatch.setattr("leaderboard.boards.clock.now", lambda: clock["now"])
    board = new_board("daily", operator="incr", reset_schedule="0 0 * * *", timezone="Europe/Paris")
    alice, bob = make_player("alice"), make_player("bob")
    last_ms = utc(2026, 3, 28, 22, 59, 59, 999000)
    write(board, alice, 5, at=last_ms)
    write(board, bob, 3, at=utc(2026, 3, 28, 23))
    assert LeaderboardPeriod.objects.filter(board=board).count() == 1
    clock["now"] = utc(2026, 3, 28, 23, 0, 0, 1000)
    current = selectors.records_page(key="daily")
    assert [r["username"] for r in current["records"]] == ["bob"]
    assert current["period"] == {
        "id": period_id(utc(2026, 3, 28, 23)),
        "startsAt": "2026-03-28T23:00:00.000Z",
        "endsAt": "2026-03-29T22:00:00.000Z",
    }
    assert resets.roll_due() == 1 and resets.roll_due() == 0
    finished = api_client.get("/api/v1/leaderboards/daily/periods").json()["data"]["periods"]
    assert len(finished) == 1 and finished[0]["totalPlayers"] == 1
    assert [r["username"] for r in finished[0]["top"]] == ["alice"]
    old = api_client.get("/api/v1/leaderboards/daily/records", {"period": finished[0]["id"]}).json()["data"]
    assert [(r["username"], r["score"]) for r in old["records"]] == [("alice", 5)]
    assert api_client.get("/api/v1/leaderboards/daily/records", {"period": "123"}).status_code == 404
    assert api_client.get("/api/v1/leaderboards/daily/records", {"period": "soon"}).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_a_record_write_whose_period_ends_before_its_lock_goes_to_the_new_one(
    monkeypatch, client_for, game_server
):
    """The write reads the player's record of the period current before its lock; when the
    reset falls between that read and the lock, the record is the new period's, read again."""
    reset = utc(2026, 3, 28, 23)  # midnight in Paris
    clock = {"now": reset - timedelta(hours=1)}
    monkeypatch.setattr("leaderboard.boards.clock.now", lambda: clock["now"])
    new_board("daily", operator="best", reset_schedule="0 0 * * *", timezone="Europe/Paris")
    alice = make_player("alice")
    client = client_for(game_server)
    url = "/api/v1/leaderboards/daily/records"
    assert client.post(url, {"userId": str(alice.pk), "score": 50}, format="json").status_code == 200
    # The first clock read (before the lock) is the old period's last millisecond, every later one the new period's.
    reads = iter([reset - timedelta(milliseconds=1)])
    monkeypatch.setattr(
        "leaderboard.boards.clock.now", lambda: next(reads, reset + timedelta(milliseconds=1))
    )
    response = client.post(url, {"userId": str(alice.pk), "score": 20}, format="json")
    assert response.status_code == 200
    assert response.json()["data"]["previousScore"] is None and response.json()["data"]["score"] == 20
    clock["now"] = reset + timedelta(seconds=1)
    monkeypatch.setattr("leaderboard.boards.clock.now", lambda: clock["now"])
    assert [(r["username"], r["score"]) for r in selectors.records_page(key="daily")["records"]] == [
        ("alice", 20)
    ]
    assert sorted(LeaderboardRecord.objects.filter(user=alice).values_list("score", flat=True)) == [20, 50]


@pytest.mark.django_db(transaction=True)
def test_it_closes_a_season_at_ends_at_to_the_millisecond(monkeypatch, client_for, game_server):
    ends = utc(2026, 7, 1, 12, 0, 0, 500000)
    clock = {"now": utc(2026, 7, 1)}
    monkeypatch.setattr("leaderboard.boards.clock.now", lambda: clock["now"])
    new_board("season", operator="best", starts_at=utc(2026, 6, 1), ends_at=ends)
    alice = make_player("alice")
    client = client_for(game_server)
    body = {"userId": str(alice.pk), "score": 7}
    clock["now"] = ends - timedelta(milliseconds=1)
    assert client.post("/api/v1/leaderboards/season/records", body, format="json").status_code == 200
    clock["now"] = ends
    closed = client.post("/api/v1/leaderboards/season/records", {**body, "score": 99}, format="json")
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "BOARD_CLOSED"
    clock["now"] = ends + timedelta(days=400)
    standings = selectors.records_page(key="season")
    assert [(r["username"], r["score"]) for r in standings["records"]] == [("alice", 7)]
    assert resets.roll_due() == 1
    periods = client.get("/api/v1/leaderboards/season/periods").json()["data"]["periods"]
    assert [p["totalPlayers"] for p in periods] == [1] and periods[0]["endsAt"] == "2026-07-01T12:00:00.500Z"
    early = new_board("later", operator="best", starts_at=utc(2030, 1, 1))
    assert early.is_open(clock["now"]) is False
    assert client.post("/api/v1/leaderboards/later/records", body, format="json").status_code == 409


@pytest.mark.django_db
def test_a_season_closed_before_its_first_period_began_leaves_that_period_empty(
    monkeypatch, client_for, game_server
):
    created = utc(2026, 7, 1, 9)
    clock = {"now": created}
    monkeypatch.setattr("leaderboard.boards.clock.now", lambda: clock["now"])
    new_board("flash", operator="best")
    clock["now"] = created + timedelta(seconds=5)
    admin = client_for(game_server)
    # The simplest way to close a season at once: an endsAt in the past, here before the
    # board's first period began.
    patched = admin.patch("/api/v1/leaderboards/flash", {"endsAt": "2026-07-01T08:59:00Z"}, format="json")
    assert patched.status_code == 200, patched.json()
    period = patched.json()["data"]["period"]
    assert period["startsAt"] == period["endsAt"] == "2026-07-01T09:00:00.000Z"
    assert admin.get("/api/v1/leaderboards/flash").json()["data"]["period"] == period
    body = {"userId": str(make_player("alice").pk), "score": 7}
    closed = admin.post("/api/v1/leaderboards/flash/records", body, format="json")
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "BOARD_CLOSED"


@pytest.mark.production_shape
@pytest.mark.django_db(transaction=True)
def test_it_rolls_a_period_exactly_once_when_two_workers_notice_together(monkeypatch):
    clock = {"now": utc(2026, 5, 4, 12)}
    monkeypatch.setattr("leaderboard.boards.clock.now", lambda: clock["now"])
    boards = [new_board(f"b{i}", operator="incr", reset_schedule="0 * * * *") for i in range(5)]
    clock["now"] = utc(2026, 5, 4, 13, 0, 0, 1000)
    results: list[int] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        try:
            barrier.wait()
            results.append(resets.roll_due(clock["now"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(results) == 5 and len(results) == 4
    for board in boards:
        rows = LeaderboardPeriod.objects.filter(board=board).order_by("starts_at")
        assert [r.starts_at for r in rows] == [utc(2026, 5, 4, 12), utc(2026, 5, 4, 13)]
        assert rows[0].finished_at is not None and rows[1].finished_at is None


@pytest.mark.django_db
def test_a_full_last_page_of_periods_has_no_next_cursor(monkeypatch, api_client):
    clock = {"now": utc(2026, 5, 1, 12)}
    monkeypatch.setattr("leaderboard.boards.clock.now", lambda: clock["now"])
    board = new_board("daily", operator="incr", reset_schedule="0 0 * * *")
    alice = make_player("alice")
    for _ in range(3):
        write(board, alice, 1, at=clock["now"])
        clock["now"] += timedelta(days=1)
        assert resets.roll_due() == 1
    url = "/api/v1/leaderboards/daily/periods"
    assert api_client.get(url, {"limit": 3}).json()["data"]["nextCursor"] is None
    first = api_client.get(url, {"limit": 2}).json()["data"]
    assert len(first["periods"]) == 2 and first["nextCursor"]
    rest = api_client.get(url, {"limit": 2, "cursor": first["nextCursor"]}).json()["data"]
    assert len(rest["periods"]) == 1 and rest["nextCursor"] is None
