"""Each change schedules its top 10 once: a completion, a void, a ban, an unban.

Counted at the broadcaster's boundary, with nothing in the ranking replaced: every call of
the one public scheduler (``schedule_leaderboard_broadcast``, still run for real) and every
message that reaches the channel layer (``channel.group_send``, still sent for real).
"""

from __future__ import annotations

from collections import Counter

import orjson
import pytest

from anticheat import moderation
from leaderboard.broadcast import broadcaster, channel
from leaderboard.services import score_history_record
from tests.helpers.actions import age_action, complete_token, request_token
from tests.helpers.boards import new_board, write
from tests.helpers.moderation import flag_for
from tests.helpers.players import make_player


class Seen:
    def __init__(self) -> None:
        self.scheduled = 0
        self.sent: list[tuple[str, dict]] = []

    def clear(self) -> None:
        self.scheduled, self.sent = 0, []

    def top_10s(self) -> Counter:
        """Top 10 messages sent, per board (``global`` or a named board's key)."""
        return Counter(
            message.get("board", "global")
            for group, message in self.sent
            if group == "leaderboard" and message["type"] == "hub.board"
        )

    def overtaken(self) -> list[dict]:
        """``overtaken`` messages: one per change, to the hubs' group, naming every player passed."""
        return [
            message
            for group, message in self.sent
            if group == "leaderboard" and message["type"] == "hub.overtaken"
        ]

    def personal(self, kind: str) -> list[dict]:
        return [
            message for group, message in self.sent if group.startswith("user_") and message["type"] == kind
        ]


@pytest.fixture
def seen(monkeypatch, settings) -> Seen:
    settings.BROADCAST_INTERVAL_MS = 0  # every change that moves a top 10 is sent at once
    record = Seen()
    schedule, send = broadcaster.schedule_leaderboard_broadcast, channel.group_send

    def counted_schedule() -> None:
        record.scheduled += 1
        schedule()

    def counted_send(group: str, message: dict) -> None:
        record.sent.append((group, message))
        send(group, message)

    monkeypatch.setattr(broadcaster, "schedule_leaderboard_broadcast", counted_schedule)
    monkeypatch.setattr(channel, "group_send", counted_send)
    return record


@pytest.fixture
def board_with_alice(alice, bob, django_capture_on_commit_callbacks):
    """Alice leads the global board (300 to 200) and holds a record on a named board."""
    with django_capture_on_commit_callbacks(execute=True):
        flag_for(bob, increment=200)
        flagged = flag_for(alice, increment=300)
        arena = new_board("arena")
        write(arena, alice, 50)
    return flagged


def test_a_completion_schedules_its_top_10_once(
    alice, bob, client_for, seen, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    issued = request_token(client)
    age_action(issued["actionId"], 5)
    with django_capture_on_commit_callbacks(execute=True):
        flag_for(bob, increment=50)
    seen.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = complete_token(client, issued, 4000)
    assert response.status_code == 200, response.content
    assert seen.scheduled == 1
    assert seen.top_10s() == {"global": 1}
    assert len(seen.personal("player.score")) == 1
    assert orjson.loads(seen.personal("player.score")[0]["live"])["data"]["newRank"] == 1


def test_a_void_schedules_its_top_10_once(
    alice, moderator, board_with_alice, seen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        moderation.flag_void(flag=board_with_alice, actor=moderator, note="impossible time")
    assert seen.scheduled == 1
    assert seen.top_10s() == {"global": 1}  # alice falls from first to second
    assert len(seen.personal("player.score")) == 1


def test_a_ban_schedules_each_top_10_once(
    alice, moderator, board_with_alice, seen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        moderation.player_ban(user=alice, actor=moderator, reason="aimbot")
    assert seen.scheduled == 1
    assert seen.top_10s() == {"global": 1, "arena": 1}  # off the global board and the named one
    assert [message["type"] for group, message in seen.sent if group.startswith("user_")] == ["player.banned"]


def test_an_unban_schedules_each_top_10_once(
    alice, moderator, board_with_alice, seen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        moderation.player_ban(user=alice, actor=moderator, reason="aimbot")
    seen.clear()
    with django_capture_on_commit_callbacks(execute=True):
        moderation.player_unban(user=alice, actor=moderator, reason="appeal accepted")
    assert seen.scheduled == 1
    assert seen.top_10s() == {"global": 1, "arena": 1}  # back on both


def test_a_named_board_write_schedules_that_board_once(alice, bob, seen, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        arena = new_board("arena")
        write(arena, bob, 40)
    seen.clear()
    with django_capture_on_commit_callbacks(execute=True):
        write(arena, alice, 50)
    assert seen.scheduled == 0  # the global board did not move
    assert seen.top_10s() == {"arena": 1}
    assert seen.overtaken() == []  # a first record passes nobody


def test_a_write_passing_many_players_sends_one_overtaken_message(
    alice, bob, seen, django_capture_on_commit_callbacks
):
    carol = make_player("carol")
    with django_capture_on_commit_callbacks(execute=True):
        arena = new_board("arena")
        for user, score in ((alice, 10), (bob, 30), (carol, 20)):
            write(arena, user, score)
    seen.clear()
    with django_capture_on_commit_callbacks(execute=True):
        write(arena, alice, 50)  # passes bob and carol
    [message] = seen.overtaken()
    assert message["board"] == "arena" and message["by"]["userId"] == str(alice.pk)
    assert message["passed"] == [[str(bob.pk), 2, 30], [str(carol.pk), 3, 20]]
    assert seen.personal("player.overtaken") == []  # not one send per player


def _alice_completes_after_ten_leaders(alice, client_for, seen, capture, *, lowest_leader: int):
    """Ten players at ``lowest_leader`` points and up; then alice completes a 100-point action."""
    with capture(execute=True):
        for index in range(10):
            score_history_record(
                user=make_player(f"leader{index}"),
                increment=lowest_leader + index,
                action_type="COMPLETE_LEVEL",
            )
    client = client_for(alice)
    issued = request_token(client)
    age_action(issued["actionId"], 5)
    seen.clear()
    with capture(execute=True):
        response = complete_token(client, issued, 4000)
    assert response.status_code == 200, response.content
    return response.json()["data"]


def test_a_completion_below_the_top_10_schedules_nothing(
    alice, client_for, seen, django_capture_on_commit_callbacks
):
    """Ten players stay strictly above alice before and after: her row cannot move the top 10."""
    data = _alice_completes_after_ten_leaders(
        alice, client_for, seen, django_capture_on_commit_callbacks, lowest_leader=1000
    )
    assert (data["previousRank"], data["rank"]) == (11, 11)
    assert seen.scheduled == 0
    assert seen.top_10s() == {}
    assert len(seen.personal("player.score")) == 1  # her own event still goes at once


def test_a_completion_into_the_top_10_from_below_is_sent(
    alice, client_for, seen, django_capture_on_commit_callbacks
):
    data = _alice_completes_after_ten_leaders(
        alice, client_for, seen, django_capture_on_commit_callbacks, lowest_leader=50
    )
    assert (data["previousRank"], data["rank"]) == (11, 1)
    assert seen.scheduled == 1
    assert seen.top_10s() == {"global": 1}
