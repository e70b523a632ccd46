"""The broadcaster: on commit only, the first change at once, the rest coalesced, no-ops skipped."""

from __future__ import annotations

import asyncio
import time

import orjson
import pytest
from django.db import transaction

from accounts.models import User
from leaderboard import ranking_writes
from leaderboard.broadcast import broadcaster, channel
from leaderboard.broadcast.channel import user_group
from leaderboard.broadcast.hub import Hub, HubClient
from leaderboard.broadcast.state import shared_state
from leaderboard.services import score_history_record
from tests.helpers.stores import redis_calls


@pytest.fixture
def sent(monkeypatch) -> list[tuple[float, str, dict]]:
    """Every group_send the broadcaster makes: (time, group, message); still sent for real."""
    calls: list[tuple[float, str, dict]] = []
    original = channel.group_send

    def record(group: str, message: dict) -> None:
        calls.append((time.perf_counter(), group, message))
        original(group, message)

    monkeypatch.setattr(channel, "group_send", record)
    return calls


def boards(calls) -> list[dict]:
    """The top 10s sent (the hubs' group also carries ``hub.overtaken``)."""
    return [
        orjson.loads(message["live"])
        for _, group, message in calls
        if group == "leaderboard" and message["type"] == "hub.board"
    ]


@pytest.fixture
def ten_players(player) -> list[User]:
    return [player(f"p{index:02d}", 1000 - index * 10, at=index) for index in range(10)]


@pytest.mark.django_db(transaction=True)
def test_it_sends_the_first_change_at_once(ten_players, sent, monkeypatch, settings):
    settings.BROADCAST_INTERVAL_MS = 1000
    broadcaster.publish_if_changed(force=True)
    shared_state().close_window()
    committed: list[float] = []
    original = ranking_writes.ranking_record_change
    monkeypatch.setattr(
        ranking_writes,
        "ranking_record_change",
        lambda entry: (committed.append(time.perf_counter()), original(entry)),
    )
    sent.clear()
    score_history_record(user=ten_players[9], increment=500)
    board_sends = [
        at for at, group, message in sent if group == "leaderboard" and message["type"] == "hub.board"
    ]
    assert len(board_sends) == 1
    assert board_sends[0] - committed[0] < 0.05
    assert boards(sent)[0]["leaderboard"][0]["username"] == "p09"


@pytest.mark.django_db(transaction=True)
def test_it_coalesces_ten_changes_in_300_ms_into_at_most_two_broadcasts(ten_players, sent, settings):
    settings.BROADCAST_INTERVAL_MS = 1000
    climber = ten_players[9]
    for _ in range(10):
        score_history_record(user=climber, increment=10)
        time.sleep(0.03)
    time.sleep(1.3)
    updates = boards(sent)
    assert 1 <= len(updates) <= 2
    final = updates[-1]["leaderboard"]
    assert final[0] == {**final[0], "username": "p09", "score": 1010}
    assert updates[-1]["seq"] > (updates[0]["seq"] if len(updates) == 2 else 0)
    personal = [
        message
        for _, group, message in sent
        if group.startswith("user_") and message["type"] == "player.score"
    ]
    assert len(personal) == 10  # personal events are never coalesced away


def _score_after_a_published_top(user, increment: int, sent: list) -> None:
    """The current top 10 published and forgotten, then ``user`` scores ``increment``."""
    broadcaster.publish_if_changed(force=True)
    sent.clear()
    score_history_record(user=user, increment=increment)


@pytest.mark.django_db(transaction=True)
def test_it_sends_no_update_when_the_top_10_does_not_change(ten_players, player, sent, settings):
    settings.BROADCAST_INTERVAL_MS = 0
    _score_after_a_published_top(player("outsider", 0, at=99), 5, sent)
    assert boards(sent) == []
    assert [message["type"] for _, _, message in sent] == ["player.score"]


@pytest.mark.django_db(transaction=True)
def test_it_tells_the_player_pushed_out_of_the_top_10(ten_players, player, sent, settings):
    settings.BROADCAST_INTERVAL_MS = 0
    _score_after_a_published_top(player("climber", 0, at=99), 2000, sent)
    pushed = {
        orjson.loads(message["scoreboard_rank"])["data"]["userId"]: orjson.loads(message["scoreboard_rank"])
        for _, _, message in sent
        if message["type"] == "player.rank"
    }
    assert len(pushed) == 10  # everyone moved down one place
    last = pushed[str(ten_players[9].pk)]["data"]
    assert (last["previousRank"], last["newRank"]) == (10, 11)
    assert boards(sent)[0]["leaderboard"][0]["username"] == "climber"


@pytest.mark.django_db(transaction=True)
def test_it_tells_each_push_down_at_once_whatever_the_coalescing(ten_players, player, sent, settings):
    """rank_change is personal: one per score update that pushes a top-10 player down, sent
    at once, even while the top 10 itself waits for its coalescing window."""
    settings.BROADCAST_INTERVAL_MS = 60_000
    first, second = player("first", 0, at=98), player("second", 0, at=99)
    _score_after_a_published_top(first, 2000, sent)
    score_history_record(user=second, increment=3000)

    def told(user) -> list[tuple[int, int]]:
        frames = [
            orjson.loads(message["scoreboard_rank"])["data"]
            for _, group, message in sent
            if message["type"] == "player.rank" and group == user_group(user.pk)
        ]
        return [(f["previousRank"], f["newRank"]) for f in frames]

    assert told(ten_players[8]) == [(9, 10), (10, 11)]  # both updates, in order
    assert told(ten_players[9]) == [(10, 11)]  # the second passed it outside the top 10
    assert told(first) == [(1, 2)]


def test_it_broadcasts_nothing_for_a_rolled_back_transaction(alice, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            score_history_record(user=alice, increment=100)
            raise RuntimeError("the action failed after scoring")
    assert callbacks == []
    assert sent == []


def test_it_broadcasts_on_commit(alice, sent, django_capture_on_commit_callbacks, settings):
    settings.BROADCAST_INTERVAL_MS = 0
    with django_capture_on_commit_callbacks(execute=True):
        score_history_record(user=alice, increment=100)
        assert sent == []  # nothing leaves before the commit
    score = next(orjson.loads(message["live"]) for _, _, message in sent if message["type"] == "player.score")
    assert score["data"] == {
        "userId": str(alice.pk),
        "oldScore": 0,
        "newScore": 100,
        "increment": 100,
        "newRank": 1,
    }
    assert boards(sent)[0]["leaderboard"][0]["score"] == 100


async def test_it_keeps_only_the_newest_frame_for_a_slow_client():
    overflowed: list[bool] = []
    client = HubClient("live", on_overflow=lambda: overflowed.append(True))
    for seq in range(1, 3):
        client.offer({"live": f"frame {seq}"})
    assert await client.next_frame(timeout=0.1) == "frame 2"
    assert await client.next_frame(timeout=0.05) is None
    for seq in range(3, 7):
        client.offer({"live": f"frame {seq}"})
    assert overflowed  # fell MAX_BEHIND updates behind: the hub asks for it to be closed


async def test_it_does_not_count_frames_replaced_before_the_writer_took_one():
    """A busy process may replace a slot's frame many times before the socket's writer
    runs: that costs nothing (one frame is kept) and says nothing about the client."""
    overflowed: list[bool] = []
    client = HubClient("live", on_overflow=lambda: overflowed.append(True))
    for seq in range(1, 11):
        client.offer({"live": f"frame {seq}"})
    assert await client.next_frame(timeout=0.1) == "frame 10"
    client.sent()
    for seq in range(11, 21):
        client.offer({"live": f"frame {seq}"})
    assert not overflowed
    assert await client.next_frame(timeout=0.1) == "frame 20"  # being written from here on
    for seq in range(21, 25):
        client.offer({"live": f"frame {seq}"})
    assert overflowed


async def test_it_drops_stale_updates_and_catches_up_from_the_shared_state(db, settings):
    settings.WS_HEARTBEAT_INTERVAL = 100
    hub = Hub()
    client = HubClient("sse")
    hub.clients.add(client)
    state = {"seq": 5, "live": '{"leaderboard":[],"updatedAt":"x","seq":5}', "scoreboard": "{}"}
    await hub.deliver(state)
    await hub.deliver({**state, "seq": 4})
    assert hub.seq == 5
    assert (await client.next_frame(timeout=0.1)).startswith("event: leaderboard:update\ndata: ")
    # An update this process missed (e.g. while the channel layer reconnected):
    store = shared_state()
    await asyncio.to_thread(lambda: [store.next_seq() for _ in range(6)])
    await asyncio.to_thread(store.save, {**state, "seq": store.seq(), "entries": [], "updatedAt": "x"})
    watcher = asyncio.create_task(hub._watch())
    try:
        assert await client.next_frame(timeout=1) is not None
        assert hub.seq == await asyncio.to_thread(store.seq)
    finally:
        watcher.cancel()


@pytest.mark.django_db(transaction=True)
def test_it_rebroadcasts_the_top_10_when_a_player_is_banned_and_unbanned(ten_players, sent, settings):
    settings.BROADCAST_INTERVAL_MS = 0
    broadcaster.publish_if_changed(force=True)
    leader = ten_players[0]
    User.objects.filter(pk=leader.pk).update(status=User.Status.BANNED)
    leader.refresh_from_db()
    broadcaster.standings_changed(ranking_writes.ranking_remove_player(leader))  # what a ban does on commit
    assert "p00" not in [entry["username"] for entry in boards(sent)[-1]["leaderboard"]]
    User.objects.filter(pk=leader.pk).update(status=User.Status.ACTIVE)
    broadcaster.standings_changed(ranking_writes.ranking_restore_player(leader))
    assert boards(sent)[-1]["leaderboard"][0]["username"] == "p00"


def test_the_window_opens_once_then_defers_with_what_is_left_of_it():
    state = shared_state()
    state.close_window()
    state.take_pending()
    try:
        assert state.open_or_defer(1000) is None  # opened: this change goes at once
        left = state.open_or_defer(1000)
        assert left is not None and 0 < left <= 1000
        assert state.take_pending() and not state.has_pending()  # the deferred change is remembered
    finally:
        state.close_window()


@pytest.mark.production_shape
def test_a_change_inside_the_window_costs_one_redis_call(settings, monkeypatch):
    settings.BROADCAST_INTERVAL_MS = 1000
    state = shared_state()
    state.close_window()
    assert state.open_window(1000)
    try:
        with redis_calls(monkeypatch) as commands:
            broadcaster.schedule_leaderboard_broadcast()
        assert commands == ["EVAL"], commands
        assert state.has_pending()
    finally:
        broadcaster.cancel_pending_timer()
        state.close_window()
        state.take_pending()
