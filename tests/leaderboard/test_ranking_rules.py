"""The contract's ranking rules, identical on the Redis store and the SQL store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accounts.models import User
from leaderboard import ranking, ranking_writes, selectors
from leaderboard.models import ScoreHistory
from leaderboard.periods import window_for
from leaderboard.redis_store import RedisBoard
from leaderboard.services import score_history_record
from leaderboard.sql_store import SqlBoard


def usernames(data: dict) -> list[str]:
    return [entry["username"] for entry in data["leaderboard"]]


def test_it_orders_by_score_then_who_got_there_first_then_user_id(store, player):
    player("late", 500, at=10)
    player("early", 500, at=1)
    player("top", 900, at=50)
    player("low", 100, at=0)
    data = selectors.leaderboard_top(period="all", limit=10)
    assert usernames(data) == ["top", "early", "late", "low"]
    assert [entry["rank"] for entry in data["leaderboard"]] == [1, 2, 2, 4]
    assert data["total_players"] == 4
    assert data["leaderboard"][1]["updated_at"] == "2026-01-01T00:01:00.000Z"


def test_it_breaks_a_full_tie_by_user_id(store, player):
    a, b = player("tie-a", 300, at=3), player("tie-b", 300, at=3)
    ids = sorted([str(a.pk), str(b.pk)])
    data = selectors.leaderboard_top(period="all", limit=10)
    assert [entry["user_id"] for entry in data["leaderboard"]] == ids


def test_it_computes_rank_and_percentile(store, player):
    for index, score in enumerate([1000, 800, 800, 500, 0]):
        player(f"p{index}", score, at=index)
    fourth = User.objects.get(username="p3")
    standing = selectors.player_standing(user=fourth, period="all")
    assert standing["rank"] == 4
    assert standing["percentile"] == 20.0
    tied = selectors.player_standing(user=User.objects.get(username="p2"), period="all")
    assert (tied["rank"], tied["percentile"]) == (2, 60.0)


def test_it_rounds_the_percentile_to_one_decimal(store, player):
    for index in range(3):
        player(f"p{index}", 100 - index, at=index)
    standing = selectors.player_standing(user=User.objects.get(username="p1"), period="all")
    assert standing["percentile"] == 33.3


def test_it_ranks_players_with_score_zero(store, player):
    player("scorer", 50)
    newbie = player("newbie", 0)
    data = selectors.leaderboard_top(period="all", limit=10)
    assert usernames(data) == ["scorer", "newbie"]
    assert selectors.player_standing(user=newbie, period="all")["rank"] == 2


def test_it_hides_banned_staff_and_service_accounts(store, player):
    player("active", 100)
    banned = player("banned", 900, status=User.Status.BANNED)
    player("staff", 800, is_staff=True)
    player("server", 700, is_service_account=True)
    data = selectors.leaderboard_top(period="all", limit=10)
    assert usernames(data) == ["active"]
    assert data["total_players"] == 1
    assert selectors.player_standing(user=banned, period="all") is None


def test_it_removes_and_restores_a_banned_player(store, player, django_capture_on_commit_callbacks):
    alice = player("alice", 100)
    player("bob", 50)
    assert usernames(selectors.leaderboard_top()) == ["alice", "bob"]
    User.objects.filter(pk=alice.pk).update(status=User.Status.BANNED)
    alice.refresh_from_db()
    ranking_writes.ranking_remove_player(alice)
    assert usernames(selectors.leaderboard_top()) == ["bob"]
    User.objects.filter(pk=alice.pk).update(status=User.Status.ACTIVE)
    alice.refresh_from_db()
    ranking_writes.ranking_restore_player(alice)
    data = selectors.leaderboard_top()
    assert usernames(data) == ["alice", "bob"]
    assert data["total_players"] == 2


def _score(user: User, points: int, *, days_ago: float = 0) -> ScoreHistory:
    change = score_history_record(user=user, increment=points, action_type="COMPLETE_LEVEL")
    moment = datetime.now(UTC) - timedelta(days=days_ago)
    ScoreHistory.objects.filter(pk=change.entry.pk).update(created_at=moment)
    User.objects.filter(pk=user.pk).update(score_updated_at=moment)
    return change.entry


def _period_scores(period: str) -> dict[str, int]:
    return {
        entry["username"]: entry["score"]
        for entry in selectors.leaderboard_top(period=period, limit=100)["leaderboard"]
    }


def test_it_sums_each_period_from_the_ledger(store, player):
    now = datetime.now(UTC)
    alice, bob, carol = player("alice"), player("bob"), player("carol")
    _score(alice, 100, days_ago=0)
    _score(bob, 250, days_ago=(now.weekday() + 0.5) if now.weekday() else 40)  # earlier this month or before
    _score(carol, 500, days_ago=45)
    daily = _period_scores("daily")
    assert daily == {"alice": 100, "bob": 0, "carol": 0}
    assert _period_scores("all") == {"alice": 100, "bob": 250, "carol": 500}
    assert selectors.leaderboard_top(period="daily")["total_players"] == 3
    assert _period_scores("monthly")["carol"] == 0


def test_it_leaves_voided_scores_out_of_periods(store, player):
    alice, bob = player("alice"), player("bob")
    kept = _score(alice, 100)
    voided = _score(alice, 500)
    _score(bob, 300)
    score_history_record(
        user=alice, increment=-voided.increment, kind=ScoreHistory.Kind.VOID, reverses=voided
    )
    assert kept.increment == 100
    assert _period_scores("daily") == {"alice": 100, "bob": 300}
    assert _period_scores("all") == {"alice": 100, "bob": 300}


def test_it_lists_positions_around_me_not_rank_values(store, player):
    for index, score in enumerate([900, 800, 700, 700, 700, 600, 500]):
        player(f"p{index}", score, at=index)
    me = User.objects.get(username="p3")
    data = selectors.leaderboard_around(user=me, period="all", radius=1)
    assert usernames(data) == ["p2", "p3", "p4"]
    assert data["me"]["rank"] == 3
    top = selectors.leaderboard_around(user=User.objects.get(username="p0"), period="all", radius=2)
    assert usernames(top) == ["p0", "p1", "p2"]


def test_it_pages_inside_a_tie_with_shared_ranks(store, player):
    for index, score in enumerate([900, 500, 500, 500]):
        player(f"p{index}", score, at=index)
    data = selectors.leaderboard_around(user=User.objects.get(username="p3"), period="all", radius=1)
    assert [entry["rank"] for entry in data["leaderboard"]] == [2, 2]


def test_it_keeps_up_incrementally_like_a_rebuild(store, player, django_capture_on_commit_callbacks):
    alice, bob, carol = player("alice"), player("bob"), player("carol")
    selectors.leaderboard_top(period="daily")  # the boards exist (and are ready) before the changes
    with django_capture_on_commit_callbacks(execute=True):
        score_history_record(user=alice, increment=100)
        score_history_record(user=bob, increment=250)
        entry = score_history_record(user=carol, increment=500).entry
        score_history_record(user=carol, increment=-500, kind=ScoreHistory.Kind.VOID, reverses=entry)
        score_history_record(user=alice, increment=150)
    for period in ("all", "daily", "weekly", "monthly"):
        board = ranking.board_for(window_for(period))
        assert isinstance(board, RedisBoard if store == "redis" else SqlBoard)
        assert _period_scores(period) == {"alice": 250, "bob": 250, "carol": 0}, period
    assert usernames(selectors.leaderboard_top(period="daily")) == ["bob", "alice", "carol"]
    alice.refresh_from_db()
    assert selectors.player_standing(user=alice, period="all")["rank"] == 1


@pytest.mark.production_shape
def test_it_rebuilds_a_lost_set_and_serves_sql_while_redis_is_down(player, settings, throwaway_redis):
    player("alice", 300)
    player("bob", 100)
    settings.REDIS_URL = throwaway_redis.url
    assert usernames(selectors.leaderboard_top()) == ["alice", "bob"]  # lazily built in the new Redis
    throwaway_redis.stop()
    data = selectors.leaderboard_top()  # Redis down: SQL answers, no 500
    assert usernames(data) == ["alice", "bob"]
    assert ranking.rank_for_score(User.objects.get(username="bob"), 100) == 2


def test_it_ranks_a_new_player_at_once_with_score_zero(store, player, django_capture_on_commit_callbacks):
    player("alice", 100)
    selectors.leaderboard_top(period="weekly")  # boards ready before the registration
    with django_capture_on_commit_callbacks(execute=True):
        newbie = player("newbie")
    data = selectors.leaderboard_top(period="all")
    assert [e["username"] for e in data["leaderboard"]] == ["alice", "newbie"]
    weekly = selectors.leaderboard_top(period="weekly")  # nobody scored this week: both 0, tied
    assert sorted(e["username"] for e in weekly["leaderboard"]) == ["alice", "newbie"]
    assert [e["rank"] for e in weekly["leaderboard"]] == [1, 1]
    assert selectors.player_standing(user=newbie, period="daily")["rank"] == 1


def test_it_gives_accounts_the_rank_from_the_store(store, player):
    from accounts.ranks import user_summary

    player("alice", 300)
    bob = player("bob", 100)
    assert user_summary(bob)["rank"] == 2
