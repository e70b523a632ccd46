from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db.models import Sum

from accounts.models import User
from leaderboard import selectors
from leaderboard.models import ScoreHistory
from tests.helpers.stores import production_shape


def test_it_seeds_demo_players_whose_ledger_matches_their_scores(db):
    call_command("seed_demo", "--players", "120", stdout=io.StringIO())
    assert User.objects.count() == 120
    for user in User.objects.all()[:40]:
        total = ScoreHistory.objects.filter(user=user).aggregate(total=Sum("increment"))["total"] or 0
        assert user.score == total
        assert user.total_actions == ScoreHistory.objects.filter(user=user).count()
    monthly = selectors.leaderboard_top(period="monthly", limit=5)["leaderboard"]
    all_time = selectors.leaderboard_top(period="all", limit=5)["leaderboard"]
    assert monthly != all_time  # the periods differ: the ledger spans ~40 days


def test_it_does_nothing_with_if_empty_when_players_exist(alice):
    out = io.StringIO()
    call_command("seed_demo", "--if-empty", stdout=out)
    assert User.objects.count() == 1
    assert "no demo data" in out.getvalue()


def test_it_rebuilds_the_leaderboard(player):
    player("alice", 300)
    out = io.StringIO()
    call_command("rebuild_leaderboard", stdout=out)
    if production_shape():
        assert "Rebuilt: all, daily:" in out.getvalue()
    else:
        assert "nothing to do" in out.getvalue()
    assert selectors.leaderboard_top()["leaderboard"][0]["username"] == "alice"


@pytest.mark.production_shape
def test_it_rebuilds_sets_lost_with_redis(player, settings):
    from scoreboard_project.redis_client import get_redis

    player("alice", 300)
    selectors.leaderboard_top()
    get_redis().flushdb()  # Redis restarted empty
    assert selectors.leaderboard_top()["leaderboard"][0]["username"] == "alice"
    assert get_redis().exists(f"{settings.REDIS_PREFIX}:lb:all:ready")
