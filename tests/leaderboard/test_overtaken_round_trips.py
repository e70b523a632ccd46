"""After a write, who it passed is read in the one script call: the script checks that the
set is ready (no round trip of its own), and a set that is not ready is read the usual way."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import User
from leaderboard import overtaken, ranking, ranking_rebuilds
from leaderboard.boards import overtaken as board_overtaken
from leaderboard.periods import to_micros, window_for
from leaderboard.redis_store import RedisBoard
from tests.helpers.boards import new_board, write
from tests.helpers.players import make_player
from tests.helpers.stores import redis_calls

pytestmark = [pytest.mark.django_db, pytest.mark.production_shape]


@pytest.fixture
def told(monkeypatch) -> list[list[str]]:
    """The players each ``overtaken`` message names, by user id."""
    messages: list[list[str]] = []

    def notify(*, board, by, passed) -> None:
        messages.append([p.user_id for p in passed])

    monkeypatch.setattr(overtaken, "notify_overtaken", notify)
    monkeypatch.setattr(board_overtaken, "notify_overtaken", notify)
    return messages


def _alice_rises_past_bob_and_carol() -> tuple[User, list[str]]:
    alice = make_player("alice", score=100)
    bob, carol = make_player("bob", score=200), make_player("carol", score=300)
    assert ranking.read("all", lambda board: board.total()) == 3  # the set is loaded and ready
    User.objects.filter(pk=alice.pk).update(score=400)
    RedisBoard(window_for("all")).set_absolute(str(alice.pk), 400, to_micros(timezone.now()))
    return alice, [str(carol.pk), str(bob.pk)]


def test_the_global_board_is_read_in_one_script_call(monkeypatch, told):
    alice, passed = _alice_rises_past_bob_and_carol()
    with redis_calls(monkeypatch) as sent:
        overtaken.global_score_rose(user=alice, old_score=100, new_score=400, old_time=None)
    assert sent == ["EVALSHA"], sent
    assert told == [passed]


def test_a_global_board_that_is_not_ready_is_read_the_usual_way(told):
    alice, passed = _alice_rises_past_bob_and_carol()
    RedisBoard(window_for("all")).mark_stale()

    overtaken.global_score_rose(user=alice, old_score=100, new_score=400, old_time=None)

    assert told == [passed]  # rebuilt from the database, which has alice at 400


def test_a_named_board_write_asks_no_readiness_of_its_own(
    monkeypatch, told, django_capture_on_commit_callbacks
):
    arena = new_board("arena")
    alice, bob, carol = make_player("alice"), make_player("bob"), make_player("carol")
    with django_capture_on_commit_callbacks(execute=True):
        for user, score in ((alice, 10), (bob, 30), (carol, 20)):
            write(arena, user, score)
    with redis_calls(monkeypatch) as sent, django_capture_on_commit_callbacks(execute=True):
        write(arena, alice, 50)
    assert "EXISTS" not in sent, sent
    assert told[-1] == [str(bob.pk), str(carol.pk)]


def test_a_stale_mark_not_yet_in_redis_sends_the_read_to_the_rebuilt_board(told):
    alice, passed = _alice_rises_past_bob_and_carol()
    bob_id = passed[1]
    RedisBoard(window_for("all")).remove(bob_id)  # a write this set missed while Redis was away...
    with ranking_rebuilds._stale_lock:
        ranking_rebuilds._pending_stale.add("all")  # ...and its stale mark, not written yet

    overtaken.global_score_rose(user=alice, old_score=100, new_score=400, old_time=None)

    assert told == [passed]  # bob too: read from the board rebuilt from the database
    assert not ranking_rebuilds.stale_marks_pending()
