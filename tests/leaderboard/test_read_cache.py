"""GET /leaderboard from the per-process pre-serialized response: current, and never stale."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leaderboard import ranking, ranking_rebuilds, ranking_writes, read_cache, selectors
from leaderboard.services import score_history_record
from scoreboard_project.redis_client import get_redis

pytestmark = pytest.mark.production_shape


@pytest.fixture
def board(player):
    players = [player("alice", 300, at=1), player("bob", 200, at=2), player("carol", 100, at=3)]
    ranking_rebuilds.rebuild_all()
    return players


def _get(api_client, query: str = "limit=10"):
    response = api_client.get(f"/api/v1/leaderboard?{query}")
    assert response.status_code == 200
    return response


def test_it_serves_a_held_response_without_sql_or_rendering(api_client, board):
    _get(api_client)  # the periodic full read (reconciliation) comes first
    first = _get(api_client)
    with CaptureQueriesContext(connection) as queries:
        second = _get(api_client)
    assert second.content == first.content
    assert [
        q["sql"] for q in queries.captured_queries if "leaderboard" in q["sql"] or "accounts_user" in q["sql"]
    ] == []


def test_it_renders_what_the_selectors_would(api_client, board):
    _get(api_client, "period=weekly&limit=2")
    held = _get(api_client, "period=weekly&limit=2").content
    fresh = read_cache.render(selectors.leaderboard_top(period="weekly", limit=2))
    assert held == fresh


def test_a_client_reads_its_own_write_at_once(api_client, board, django_capture_on_commit_callbacks):
    alice, bob, _ = board
    _get(api_client)
    _get(api_client)  # now held
    with django_capture_on_commit_callbacks(execute=True):
        score_history_record(user=bob, increment=500)
    data = _get(api_client).json()["data"]
    assert [(e["username"], e["score"]) for e in data["leaderboard"][:2]] == [("bob", 700), ("alice", 300)]


def test_a_ban_takes_the_player_off_the_held_response(api_client, board):
    alice = board[0]
    _get(api_client)
    _get(api_client)
    ranking_writes.ranking_remove_player(alice)
    names = [e["username"] for e in _get(api_client).json()["data"]["leaderboard"]]
    assert names == ["bob", "carol"]


def test_a_held_response_expires_even_if_a_version_bump_was_lost(api_client, board, monkeypatch):
    _get(api_client)
    _get(api_client)
    get_redis().zadd(
        ranking.RedisBoard(ranking.window_for("all")).keys.zset,  # a write that bumped nothing
        {"0000000000000000ffffffffffffffffffffffffffffffff": 10**6},
    )
    monkeypatch.setattr(read_cache, "MAX_AGE_S", 0.0)
    key = ("all", 10)
    before = read_cache._held[key]  # noqa: SLF001
    _get(api_client)
    assert read_cache._held[key].at > before.at  # noqa: SLF001 - rebuilt, not served as held


def test_fast_query_parsing_agrees_with_the_serializer():
    from leaderboard.views import fast_query

    assert fast_query({"period": "weekly", "limit": "100"}) == {"period": "weekly", "limit": 100}
    assert fast_query({}) == {"period": "all", "limit": 10}
    for odd in (
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "010"},
        {"limit": "+5"},
        {"limit": "５"},
        {"period": "yearly"},
        {"limit": "5", "extra": "1"},
        {"limit": ""},
    ):
        assert fast_query(odd) is None  # left to the serializer, which answers or refuses as before
