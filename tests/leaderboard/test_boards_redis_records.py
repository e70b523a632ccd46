"""A named board's metadata kept in Redis beside its set: pages read it without SQL, a late
write cannot put older metadata back, and a set without it is rebuilt with it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leaderboard.boards import selectors, store
from leaderboard.boards.models import LeaderboardRecord
from leaderboard.boards.redis_records import metadata_text, set_record
from leaderboard.periods import to_micros
from tests.helpers.boards import new_board, page, write
from tests.helpers.players import make_player

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.production_shape]


def redis_board(key: str):
    target = selectors.target_for(key)
    return target.fast(checked=False)


def metadata(client, key: str) -> dict[str, object]:
    return {r["username"]: r["metadata"] for r in page(client, key)["records"]}


def test_a_page_reads_names_and_metadata_without_sql_once_cached(api_client):
    board = new_board("arena")
    write(board, make_player("alice"), 30, metadata={"car": "red", "big": 2**63 - 1})
    write(board, make_player("bob"), 20)
    page(api_client, "arena")  # the rebuild loads the set, its metadata and the names
    with CaptureQueriesContext(connection) as queries:
        records = page(api_client, "arena")["records"]
    assert [
        q["sql"]
        for q in queries.captured_queries
        if "leaderboardrecord" in q["sql"] or "accounts_user" in q["sql"]
    ] == []
    assert [(r["username"], r["metadata"]) for r in records] == [
        ("alice", {"car": "red", "big": 2**63 - 1}),
        ("bob", {}),
    ]


def test_a_set_write_with_the_same_score_and_new_metadata_shows_the_new_metadata(api_client):
    board = new_board("arena", operator="set")
    alice = make_player("alice")
    write(board, alice, 30, metadata={"lap": 1})
    assert metadata(api_client, "arena") == {"alice": {"lap": 1}}
    write(board, alice, 30, metadata={"lap": 2})  # the score is unchanged, the metadata is not
    assert metadata(api_client, "arena") == {"alice": {"lap": 2}}
    write(board, alice, 30, metadata={})
    assert metadata(api_client, "arena") == {"alice": {}}


def test_a_best_write_that_does_not_improve_keeps_the_metadata(api_client):
    board = new_board("arena", operator="best")
    alice = make_player("alice")
    write(board, alice, 30, metadata={"lap": 1})
    page(api_client, "arena")
    write(board, alice, 10, metadata={"lap": 2})
    assert metadata(api_client, "arena") == {"alice": {"lap": 1}}
    write(board, alice, 40, metadata={"lap": 3})
    assert metadata(api_client, "arena") == {"alice": {"lap": 3}}


def test_a_write_reaching_redis_late_cannot_put_older_metadata_back(api_client):
    board = new_board("arena", operator="set")
    alice = make_player("alice")
    write(board, alice, 30, metadata={"lap": 1})
    page(api_client, "arena")
    older = LeaderboardRecord.objects.get(user=alice)
    write(board, alice, 30, metadata={"lap": 2})
    newer = LeaderboardRecord.objects.get(user=alice)
    assert newer.updated_at > older.updated_at  # every write moves the version
    # The first write's commit hook, arriving after the second's.
    set_record(
        redis_board("arena"),
        str(alice.pk),
        older.rank_score,
        to_micros(older.reached_at),
        to_micros(older.updated_at),
        metadata_text(older.metadata),
    )
    assert metadata(api_client, "arena") == {"alice": {"lap": 2}}


def test_the_version_rises_even_when_the_clock_steps_back(api_client):
    board = new_board("arena", operator="set")
    alice = make_player("alice")
    first = write(board, alice, 30, metadata={"lap": 1}).record
    second = write(board, alice, 30, metadata={"lap": 2}, at=first.updated_at).record
    assert second.updated_at > first.updated_at


def test_a_set_built_without_its_metadata_is_read_from_sql_then_rebuilt_with_it(api_client):
    board = new_board("arena")
    write(board, make_player("alice"), 30, metadata={"car": "red"})
    page(api_client, "arena")
    fast = redis_board("arena")
    fast.client.delete(fast.keys.meta)  # as a set built before the hash existed
    assert metadata(api_client, "arena") == {"alice": {"car": "red"}}  # from SQL
    assert not fast.is_ready()  # marked stale by that reader
    assert metadata(api_client, "arena") == {"alice": {"car": "red"}}  # rebuilt, with it
    assert fast.is_ready() and fast.client.hget(fast.keys.meta, "") == "1"


def test_a_stale_set_is_never_read_for_metadata(api_client):
    board = new_board("arena", operator="set")
    alice = make_player("alice")
    write(board, alice, 30, metadata={"lap": 1})
    page(api_client, "arena")
    fast = redis_board("arena")
    fast.mark_stale()
    target = selectors.target_for("arena")
    write(board, alice, 30, metadata={"lap": 2})  # skipped in Redis: the set is not ready
    assert fast.client.hget(fast.keys.meta, str(alice.pk)).endswith('{"lap":1}')
    assert selectors._players(target, [str(alice.pk)])[str(alice.pk)]["metadata"] == {"lap": 2}


def test_a_rebuild_catches_up_metadata_written_meanwhile(api_client):
    board = new_board("arena", operator="set")
    alice = make_player("alice")
    write(board, alice, 30, metadata={"lap": 1})
    target = selectors.target_for("arena")
    assert store.rebuild(board.pk, target.period)
    write(board, alice, 31, metadata={"lap": 2})
    assert metadata(api_client, "arena") == {"alice": {"lap": 2}}
