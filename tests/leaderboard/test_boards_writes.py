"""Completions feed incr boards in their transaction; a page walk stays exact while
another thread writes."""

from __future__ import annotations

import random
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Sum

from accounts.models import User
from leaderboard import ledger
from leaderboard.boards import selectors, services
from leaderboard.boards.models import Leaderboard, LeaderboardRecord
from leaderboard.models import ScoreHistory
from tests.helpers.actions import complete_aged
from tests.helpers.boards import new_board
from tests.helpers.players import make_player

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_feeds_incr_boards_listing_the_completed_type(store, client_for, many_completions):
    levels = new_board("levels", operator="incr", action_types=["COMPLETE_LEVEL"])
    quests = new_board("quests", operator="incr", action_types=["COMPLETE_QUEST"])
    alice = make_player("alice")
    client = client_for(alice)
    for _ in range(2):
        assert complete_aged(client).status_code == 200
    alice.refresh_from_db()
    assert alice.score == 200
    assert LeaderboardRecord.objects.get(board=levels, user=alice).score == 200
    assert not LeaderboardRecord.objects.filter(board=quests).exists()
    assert [r["score"] for r in selectors.records_page(key="levels")["records"]] == [200]
    # The ledger: two action rows (the global score) and two rows on the board.
    global_rows = ScoreHistory.objects.filter(user=alice, board__isnull=True)
    assert global_rows.aggregate(s=Sum("increment"))["s"] == alice.score
    board_rows = ScoreHistory.objects.filter(user=alice, board=levels).order_by("created_at")
    assert [(r.kind, r.action_type, r.new_score) for r in board_rows] == [
        ("board", "COMPLETE_LEVEL", 100),
        ("board", "COMPLETE_LEVEL", 200),
    ]
    assert [r.created_at for r in board_rows] == list(
        global_rows.order_by("created_at").values_list("created_at", flat=True)
    )


def test_it_feeds_a_board_created_after_the_cache_was_filled(store, client_for, many_completions):
    alice = make_player("alice")
    client = client_for(alice)
    assert complete_aged(client).status_code == 200
    board = new_board("late", operator="incr", action_types=["COMPLETE_LEVEL"])
    assert complete_aged(client).status_code == 200
    assert LeaderboardRecord.objects.get(board=board, user=alice).score == 100


def test_it_sees_every_player_exactly_once_while_another_thread_writes(store):
    """Existing players move (never across one another: gaps of 1000, moves under 1000),
    newcomers land above everyone, others are taken off by a ban-like edit: an offset
    pager would repeat or skip players; the keyset pager must not."""
    board = new_board("walk", operator="incr")
    players = [make_player(f"w{i:03d}") for i in range(120)]
    for index, player in enumerate(players):
        services.record_write(board=board, user=player, score=(index + 1) * 1000)
    stop = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            count = 0
            while not stop.is_set() and count < 400:
                board_now = Leaderboard.objects.get(pk=board.pk)
                services.record_write(board=board_now, user=players[(count * 7) % 120], score=1)
                if count % 10 == 0:
                    services.record_write(
                        board=board_now, user=make_player(f"new{count:03d}"), score=10**7 + count
                    )
                count += 1
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=writer)
    thread.start()
    seen: list[str] = []
    cursor = None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            data = selectors.records_page(key="walk", cursor=cursor, limit=7)
            seen += [r["username"] for r in data["records"]]
            time.sleep(0.01)
            cursor = data["nextCursor"]
            if cursor is None:
                break
    finally:
        stop.set()
        thread.join(60)
    assert not errors
    old = [name for name in seen if name.startswith("w")]
    assert sorted(old) == [p.username for p in players]  # each exactly once
    assert len(seen) == len(set(seen))
    assert old == sorted(old, reverse=True)  # in board order


def test_it_counts_concurrent_increments_of_one_player(store):
    board = new_board("race", operator="incr")
    alice = make_player("alice")
    errors: list[BaseException] = []

    def hit() -> None:
        try:
            for _ in range(10):
                services.record_write(board=Leaderboard.objects.get(pk=board.pk), user=alice, score=3)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    if connection.vendor == "sqlite":
        hit()
        hit()
    else:
        threads = [threading.Thread(target=hit) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    expected = 60 if connection.vendor == "sqlite" else 120
    assert not errors
    assert LeaderboardRecord.objects.get(board=board, user=alice).score == expected
    assert selectors.records_page(key="race")["records"][0]["score"] == expected
    assert ScoreHistory.objects.filter(board=board).count() == expected // 3


def test_concurrent_game_server_writes_leave_the_set_at_the_stored_score(store, game_server, monkeypatch):
    """POST /leaderboards/{key}/records from several threads at once: the page shows the
    stored score. The write was stamped before the player's lock, so a write applied later
    could carry an earlier time, and the Redis set kept whichever came with the latest (seen
    with two server processes; here a clock read that returns a few ms late, as a busy
    process does, widens the window the same way)."""
    real_now = services.clock.now
    rng = random.Random(7)

    def late_now():
        stamp = real_now()
        time.sleep(rng.random() * 0.004)
        return stamp

    monkeypatch.setattr("leaderboard.boards.clock.now", late_now)
    board = new_board("posted", operator="incr")
    alice = make_player("alice")
    errors: list[BaseException] = []
    start = threading.Barrier(6 if connection.vendor != "sqlite" else 1)

    def post() -> None:
        try:
            start.wait(10)
            for _ in range(5):
                services.record_submit(
                    key="posted", user_id=alice.pk, score=3, metadata=None, caller=game_server
                )
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(start.parties)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    stored = LeaderboardRecord.objects.get(board=board, user=alice).score
    assert stored == 15 * start.parties
    assert selectors.records_page(key="posted")["records"][0]["score"] == stored
    # One ledger row per write, each a link of the player's chain, whichever way it was written.
    assert ScoreHistory.objects.filter(board=board).count() == 5 * start.parties
    assert ledger.verify_player(User.objects.get(pk=alice.pk)) is None


def test_a_write_stamped_earlier_than_the_one_before_still_counts(store, game_server, monkeypatch):
    """The clock stepped back between two writes: the second is still the newer standing."""
    new_board("stepped", operator="set")
    alice = make_player("alice")
    times = iter([datetime(2026, 6, 1, 12, tzinfo=UTC)] * 3 + [datetime(2026, 6, 1, 11, tzinfo=UTC)] * 3)
    monkeypatch.setattr("leaderboard.boards.clock.now", lambda: next(times))
    services.record_submit(key="stepped", user_id=alice.pk, score=50, metadata=None, caller=game_server)
    first = LeaderboardRecord.objects.get(user=alice).reached_at
    services.record_submit(key="stepped", user_id=alice.pk, score=20, metadata=None, caller=game_server)
    assert LeaderboardRecord.objects.get(user=alice).reached_at > first
    assert [r["score"] for r in selectors.records_page(key="stepped")["records"]] == [20]


def test_it_writes_records_in_well_under_five_milliseconds_of_sql(store, django_assert_max_num_queries):
    board = new_board("fast", operator="best")
    alice = make_player("alice")
    services.record_write(board=board, user=alice, score=1)
    board.refresh_from_db()
    # The player's row lock (chain head + the ledger row's id), SELECT FOR UPDATE record,
    # UPDATE record, INSERT ledger, UPDATE chain head (+ transaction control).
    with django_assert_max_num_queries(8):
        services.record_write(board=board, user=alice, score=2, at=datetime.now(UTC) + timedelta(seconds=1))


def test_it_takes_a_voided_completions_points_off_the_boards_it_fed(store, client_for, many_completions):
    from anticheat.models import Flag
    from anticheat.moderation import flag_void

    levels = new_board("levels", operator="incr", action_types=["COMPLETE_LEVEL"])
    alice = make_player("alice")
    client = client_for(alice)
    for _ in range(2):
        assert complete_aged(client).status_code == 200
    first = ScoreHistory.objects.filter(user=alice, board__isnull=True).order_by("created_at").first()
    flag = Flag.objects.create(user=alice, score_history=first, reason=Flag.Reason.SCORE_VELOCITY)
    flag_void(flag=flag, actor=make_player("mod", is_staff=True, is_superuser=True), note="replayed")
    alice.refresh_from_db()
    assert alice.score == 100
    assert LeaderboardRecord.objects.get(board=levels, user=alice).score == 100
    assert [r["score"] for r in selectors.records_page(key="levels")["records"]] == [100]
    reversal = ScoreHistory.objects.filter(board=levels).order_by("-created_at").first()
    assert (
        reversal.increment == -100
        and reversal.fed_by.kind == "void"
        and reversal.fed_by.reverses_id == first.pk
    )


def test_it_refuses_an_incr_sum_beyond_the_exact_range(store, client_for, game_server):
    board = new_board("huge", operator="incr")
    alice = make_player("alice")
    client = client_for(game_server)
    url = "/api/v1/leaderboards/huge/records"
    top = 2**53 - 1
    assert client.post(url, {"userId": str(alice.pk), "score": top}, format="json").status_code == 200
    refused = client.post(url, {"userId": str(alice.pk), "score": 10}, format="json")
    assert refused.status_code == 400, refused.content
    assert (
        refused.json()["error"]["code"] == "VALIDATION_ERROR"
        and "score" in refused.json()["error"]["details"]
    )
    assert LeaderboardRecord.objects.get(board=board, user=alice).score == top  # nothing written
    assert ScoreHistory.objects.filter(board=board).count() == 1
    assert selectors.records_page(key="huge")["records"][0]["score"] == top
    assert client.post(url, {"userId": str(alice.pk), "score": -10}, format="json").status_code == 200
