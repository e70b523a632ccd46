"""Who a score change passed: the range query on both stores, and the personal events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async

from accounts.models import User
from accounts.tokens import issue_token_pair
from leaderboard import ranking
from leaderboard.broadcast.hub import get_hub
from leaderboard.overtaken import LIMIT, passed_players
from leaderboard.services import score_history_record
from tests.helpers.players import T0, make_player
from tests.helpers.sockets import next_json, open_socket, wait_for_json


def _passed(user: User, old: int, new: int, old_minutes: float):
    """As on commit: the store already has ``user`` at ``new``."""
    User.objects.filter(pk=user.pk).update(score=new, score_updated_at=T0 + timedelta(minutes=60))
    return ranking.read(
        "all",
        lambda board: passed_players(
            board,
            scorer_id=str(user.pk),
            old_score=old,
            new_score=new,
            old_time=T0 + timedelta(minutes=old_minutes),
        ),
    )


def test_it_finds_the_players_passed_nearest_first_with_their_ranks(store, player):
    alice = player("alice", 100, at=5)
    player("erin", 500, at=0)  # still ahead
    player("frank", 400, at=0)  # at the new score first: still ahead
    player("carol", 300, at=2)
    player("dave", 300, at=3)
    player("bob", 200, at=1)
    player("tied", 100, at=1)  # tied with alice's old score, reached it first: was ahead, is passed
    player("later", 100, at=9)  # tied, reached it after alice: was behind already
    passed = _passed(alice, 100, 400, old_minutes=5)
    names = {str(uid): name for uid, name in User.objects.values_list("id", "username")}
    assert [(names[p.user_id], p.rank, p.score) for p in passed] == [
        ("carol", 4, 300),
        ("dave", 4, 300),
        ("bob", 6, 200),
        ("tied", 7, 100),
    ]


def test_it_tells_at_most_100_the_nearest_first(store, player):
    alice = player("alice", 0, at=5)
    User.objects.bulk_create(
        [User(username=f"p{n:03d}", email="", score=n, score_updated_at=T0) for n in range(1, 151)]
    )
    passed = _passed(alice, 0, 1000, old_minutes=5)
    assert len(passed) == LIMIT
    assert [p.score for p in passed] == list(range(150, 50, -1))
    assert [p.rank for p in passed[:2]] == [2, 3]


def test_it_passes_nobody_on_a_fall(store, player):
    alice = player("alice", 500, at=5)
    player("bob", 300, at=1)
    assert _passed(alice, 500, 200, old_minutes=5) == []


async def _drain(socket, quiet: float = 0.5) -> list[dict]:
    """Every message until the socket has been quiet for ``quiet`` seconds."""
    messages = []
    while not await socket.receive_nothing(timeout=quiet):  # a timed-out receive would end the consumer
        messages.append(await next_json(socket))
    return messages


@pytest.mark.django_db(transaction=True)
async def test_it_tells_both_dialects_never_coalesced(settings):
    settings.BROADCAST_INTERVAL_MS = 60_000  # the top 10 is coalesced; personal events are not
    alice = await database_sync_to_async(make_player)("alice")
    bob = await database_sync_to_async(make_player)("bob", score=50)
    carol = await database_sync_to_async(make_player)("carol", score=80)
    tokens = await database_sync_to_async(lambda: [issue_token_pair(u).access for u in (bob, carol)])()
    bob_socket, _, _ = await open_socket(f"/ws/scoreboard?token={tokens[0]}")
    carol_socket, _, _ = await open_socket(f"/ws/leaderboard/live?token={tokens[1]}")
    # A socket hears about its player once it has greeted: the accept comes first, and a
    # completion committed before the greeting is nobody's to tell (this test once raced it).
    assert (await next_json(bob_socket))["type"] == "connected"
    assert (await next_json(carol_socket))["event"] == "leaderboard:initial"
    try:
        for increment in (100, 100):  # the second completion passes nobody new
            await database_sync_to_async(score_history_record)(user=alice, increment=increment)
        by = {"userId": str(alice.pk), "username": "alice", "displayName": "alice"}
        # Wait for each socket's first event, then for anything more until 1 s of quiet.
        to_carol = [await wait_for_json(carol_socket, lambda m: m.get("event") == "rank:overtaken", 5)]
        to_carol += [m for m in await _drain(carol_socket, quiet=1.0) if m.get("event") == "rank:overtaken"]
        to_bob = [await wait_for_json(bob_socket, lambda m: m.get("type") == "overtaken", 5)]
        to_bob += [m for m in await _drain(bob_socket, quiet=1.0) if m.get("type") == "overtaken"]
        # One event each: the second completion passed nobody.
        assert [m["data"] for m in to_carol] == [
            {"board": "global", "by": by, "previousRank": 1, "rank": 2, "score": 80}
        ]
        assert [m["data"] for m in to_bob] == [
            {"board": "global", "by": by, "previousRank": 2, "rank": 3, "score": 50}
        ]
    finally:
        await bob_socket.disconnect()
        await carol_socket.disconnect()
        await get_hub().stop()


@pytest.mark.django_db(transaction=True)
async def test_it_tells_the_players_passed_on_a_named_board(settings):
    """A speedrun (``asc``) board: a faster time passes the slower ones between."""
    from tests.helpers.boards import new_board, write

    settings.BOARD_RESET_CLOCK = False
    alice = await database_sync_to_async(make_player)("alice")
    bob = await database_sync_to_async(make_player)("bob")
    carol = await database_sync_to_async(make_player)("carol")
    board = await database_sync_to_async(new_board)("speedrun", operator="best", sort_order="asc")
    for user, time_ms in ((carol, 20_000), (bob, 30_000), (alice, 40_000)):
        await database_sync_to_async(write)(board, user, time_ms)
    token = await database_sync_to_async(lambda: issue_token_pair(bob).access)()
    bob_socket, _, _ = await open_socket(f"/ws/leaderboard/live?token={token}")
    assert (await next_json(bob_socket))["event"] == "leaderboard:initial"  # signed in: see above
    try:
        await database_sync_to_async(write)(board, alice, 25_000)  # passes bob only
        to_bob = [await wait_for_json(bob_socket, lambda m: m.get("event") == "rank:overtaken", 5)]
        to_bob += [m for m in await _drain(bob_socket, quiet=1.0) if m.get("event") == "rank:overtaken"]
        by = {"userId": str(alice.pk), "username": "alice", "displayName": "alice"}
        assert [m["data"] for m in to_bob] == [
            {"board": "speedrun", "by": by, "previousRank": 2, "rank": 3, "score": 30_000}
        ]
    finally:
        await bob_socket.disconnect()
        await get_hub().stop()
