"""The Redis boards follow the accounts, even when a write to them was lost."""

from __future__ import annotations

import pytest
import redis

from accounts.models import User
from anticheat import moderation
from leaderboard import ranking
from leaderboard.periods import window_for
from leaderboard.redis_store import RedisBoard
from leaderboard.services import score_history_record
from tests.helpers.players import make_player
from tests.helpers.racing import race
from tests.helpers.stores import redis_calls

pytestmark = [pytest.mark.production_shape, pytest.mark.django_db]


def listed(api_client, period: str = "all") -> tuple[set[str], int]:
    data = api_client.get(f"/api/v1/leaderboard?limit=100&period={period}").json()["data"]
    return {entry["username"] for entry in data["leaderboard"]}, data["totalPlayers"]


def test_it_takes_a_player_promoted_to_staff_off_the_boards_and_back(
    api_client, alice, bob, django_capture_on_commit_callbacks
):
    assert listed(api_client) == ({"alice", "bob"}, 2)

    with django_capture_on_commit_callbacks(execute=True):
        alice.is_staff = True
        alice.save()  # as the admin's user form does
    assert listed(api_client) == ({"bob"}, 1)

    with django_capture_on_commit_callbacks(execute=True):
        alice.is_staff = False
        alice.save()
    assert listed(api_client) == ({"alice", "bob"}, 2)


@pytest.mark.parametrize("period", ["all", "daily"])
def test_it_rebuilds_a_board_that_lost_a_player(api_client, monkeypatch, period):
    make_player("carol", score=50)
    dave = make_player("dave", score=20)
    assert listed(api_client, period)[1] == 2
    # A write made while this process could not reach Redis: the board never heard of dave.
    RedisBoard(window_for(period)).remove(str(dave.pk))
    assert listed(api_client, period)[1] == 1  # within the reconcile interval: still the stale view

    monkeypatch.setattr(ranking, "RECONCILE_EVERY_S", 0.0)

    assert listed(api_client, period) == ({"carol", "dave"}, 2)


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_highest_score_when_one_players_changes_race(api_client):
    """Concurrent changes of one player: the board ends on the score the database holds."""
    player = make_player("racer")
    for round_number in range(3):
        race(8, lambda i: score_history_record(user=User.objects.get(pk=player.pk), increment=100))
        player.refresh_from_db()
        standing = RedisBoard(window_for("all")).standing(str(player.pk))
        assert standing is not None and standing.score == player.score == 800 * (round_number + 1)


def test_it_keeps_a_banned_player_off_the_boards_when_a_completion_lands_late(
    api_client, alice, bob, moderator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as late:
        # Another process: its own copy of the account, loaded before the ban.
        score_history_record(user=User.objects.get(pk=alice.pk), increment=300)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.player_ban(user=alice, actor=moderator, reason="cheating")

    for callback in late:  # the completion's ranking write arrives after the ban
        callback()

    for period in ("all", "daily"):
        assert listed(api_client, period) == ({"bob"}, 1)
    with django_capture_on_commit_callbacks(execute=True):
        moderation.player_unban(user=alice, actor=moderator, reason="appeal")
    assert listed(api_client) == ({"alice", "bob"}, 2)


def test_a_ranking_read_asks_redis_once_whether_the_board_is_ready(monkeypatch):
    make_player("carol", score=50)
    assert ranking.read("all", lambda board: board.total()) == 1  # loads the board, runs the reconcile
    with redis_calls(monkeypatch) as sent:
        assert ranking.read("all", lambda board: board.total()) == 1
    assert sent.count("EXISTS") == 1, sent


def _ready_boards(user) -> None:
    for period in ("all", "daily", "weekly", "monthly"):
        ranking.read(period, lambda board, uid=str(user.pk): board.standing(uid))


def test_a_completion_writes_every_ranking_in_one_round_trip(monkeypatch, django_capture_on_commit_callbacks):
    alice = make_player("alice", score=0)
    _ready_boards(alice)
    executed: list[int] = []
    original = redis.client.Pipeline.execute

    def counting(self, *args, **kwargs):
        executed.append(len(self.command_stack))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(redis.client.Pipeline, "execute", counting)
    with django_capture_on_commit_callbacks(execute=True):
        score_history_record(user=alice, increment=100)
    # all time, the three periods, the last change and the held responses' version
    assert executed[0] == 6, executed
    for period in ("all", "daily", "weekly", "monthly"):
        assert RedisBoard(window_for(period)).standing(str(alice.pk)).score == 100


def test_a_completion_asks_redis_whether_its_scripts_are_loaded_once_per_process(
    monkeypatch, django_capture_on_commit_callbacks
):
    alice = make_player("alice", score=0)
    _ready_boards(alice)
    asked: list[str] = []
    original = redis.client.Pipeline.immediate_execute_command

    def recording(self, *args, **options):
        asked.append(str(args[0]))
        return original(self, *args, **options)

    monkeypatch.setattr(redis.client.Pipeline, "immediate_execute_command", recording)
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            score_history_record(user=User.objects.get(pk=alice.pk), increment=100)

    assert asked in ([], ["SCRIPT EXISTS"]), asked  # redis-py asked before each of the three
    assert RedisBoard(window_for("all")).standing(str(alice.pk)).score == 300


def test_a_completion_writes_its_rankings_after_redis_lost_its_scripts(
    settings, throwaway_redis, django_capture_on_commit_callbacks
):
    settings.REDIS_URL = throwaway_redis.url  # SCRIPT FLUSH is for a private server
    alice = make_player("alice", score=0)
    _ready_boards(alice)
    with django_capture_on_commit_callbacks(execute=True):
        score_history_record(user=User.objects.get(pk=alice.pk), increment=100)
    RedisBoard(window_for("all")).client.script_flush()  # as after a restart

    with django_capture_on_commit_callbacks(execute=True):
        score_history_record(user=User.objects.get(pk=alice.pk), increment=100)

    for period in ("all", "daily", "weekly", "monthly"):
        board = RedisBoard(window_for(period))
        assert board.is_ready(), period  # not marked stale: the pipeline was sent again
        assert board.standing(str(alice.pk)).score == 200, period


def test_a_period_write_that_fails_marks_only_that_board_stale(django_capture_on_commit_callbacks):
    alice = make_player("alice", score=0)
    _ready_boards(alice)
    weekly = RedisBoard(window_for("weekly"))
    weekly.client.delete(weekly.keys.zset)
    weekly.client.set(weekly.keys.zset, "not a sorted set")  # the script fails there (WRONGTYPE)
    with django_capture_on_commit_callbacks(execute=True):
        score_history_record(user=alice, increment=100)
    assert not weekly.is_ready()  # rebuilt before it is read again
    for period in ("all", "daily", "monthly"):
        board = RedisBoard(window_for(period))
        assert board.is_ready() and board.standing(str(alice.pk)).score == 100
    weekly.client.delete(weekly.keys.zset)
    assert ranking.read("weekly", lambda board: board.standing(str(alice.pk))).score == 100
