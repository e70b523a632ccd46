"""Named boards' rankings on the Redis store and the SQL store: operators, orders, ties,
cursors, bans, and the ledger rows behind every write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import Sum

from accounts.models import User
from anticheat.moderation import player_ban, player_unban
from leaderboard.boards import selectors
from leaderboard.boards.models import LeaderboardRecord
from leaderboard.models import ScoreHistory
from tests.helpers.boards import new_board, page, write
from tests.helpers.players import make_player

pytestmark = pytest.mark.django_db(transaction=True)
T = datetime(2026, 6, 1, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T + timedelta(seconds=seconds)


@pytest.fixture
def frozen(monkeypatch):
    """The boards' clock at T (writes pass their own time)."""
    monkeypatch.setattr("leaderboard.boards.clock.now", lambda: T + timedelta(hours=1))


def scores(key: str) -> list[tuple[str, int, int]]:
    data = selectors.records_page(key=key, limit=1000)
    return [(r["username"], r["score"], r["rank"]) for r in data["records"]]


@pytest.mark.parametrize(
    ("operator", "order", "expected"),
    [
        ("incr", "desc", 50),
        ("best", "desc", 30),
        ("best", "asc", 5),
        ("set", "desc", 15),
        ("set", "asc", 15),
    ],
)
def test_it_applies_the_operator(store, frozen, operator, order, expected):
    board = new_board("b", operator=operator, sort_order=order, starts_at=T)
    alice = make_player("alice")
    for second, score in enumerate([30, 5, 15]):
        write(board, alice, score, at=at(second))
    record = LeaderboardRecord.objects.get(board=board, user=alice)
    assert record.score == expected
    assert scores("b") == [("alice", expected, 1)]


def test_it_orders_desc_and_asc_with_the_same_tie_rule(store, frozen):
    desc = new_board("d", operator="set", starts_at=T)
    asc = new_board("a", operator="set", sort_order="asc", starts_at=T)
    names = ["p1", "p2", "p3", "p4", "p5"]
    players = {name: make_player(name) for name in names}
    plan = {"p1": (100, 3), "p2": (300, 1), "p3": (100, 2), "p4": (50, 0), "p5": (100, 2)}
    for name, (score, second) in plan.items():
        write(desc, players[name], score, at=at(second))
        write(asc, players[name], score, at=at(second))
    p3_p5 = [n for _, n in sorted((str(players[n].pk), n) for n in ("p3", "p5"))]
    assert scores("d") == [
        ("p2", 300, 1),
        (p3_p5[0], 100, 2),
        (p3_p5[1], 100, 2),
        ("p1", 100, 2),
        ("p4", 50, 5),
    ]
    assert scores("a") == [
        ("p4", 50, 1),
        (p3_p5[0], 100, 2),
        (p3_p5[1], 100, 2),
        ("p1", 100, 2),
        ("p2", 300, 5),
    ]


def test_it_keeps_who_reached_a_best_score_first(store, frozen):
    board = new_board("b", operator="best", starts_at=T)
    early, late = make_player("early"), make_player("late")
    write(board, early, 70, at=at(1))
    write(board, late, 70, at=at(2))
    write(board, early, 60, at=at(3))  # not better: the record, and its time, stay
    assert scores("b") == [("early", 70, 1), ("late", 70, 1)]


def test_it_walks_every_page_with_cursors(store, frozen, api_client):
    board = new_board("b", operator="set", starts_at=T)
    for index in range(23):
        write(board, make_player(f"p{index:02d}"), index % 5, at=at(index))
    seen, cursor, pages = [], None, 0
    while True:
        data = page(api_client, "b", limit=5, **({"cursor": cursor} if cursor else {}))
        assert data["totalPlayers"] == 23 and data["period"]["id"] == selectors.target_for("b").period_id
        seen += data["records"]
        pages += 1
        cursor = data["nextCursor"]
        if cursor is None:
            break
    assert pages == 5 and len({r["userId"] for r in seen}) == 23
    assert seen == selectors.records_page(key="b", limit=1000)["records"]


@pytest.mark.parametrize("key", ["b", "global"])
def test_a_full_last_page_has_no_next_cursor(store, frozen, api_client, key):
    board = new_board("b", operator="set", starts_at=T)
    for index in range(10):
        player = make_player(f"p{index:02d}")
        write(board, player, index, at=at(index))
    first = page(api_client, key, limit=5)
    assert len(first["records"]) == 5 and first["nextCursor"]
    last = page(api_client, key, limit=5, cursor=first["nextCursor"])
    assert len(last["records"]) == 5 and last["nextCursor"] is None  # was a cursor to an empty page
    assert page(api_client, key, limit=10)["nextCursor"] is None


def test_it_refuses_a_tampered_or_foreign_cursor(store, frozen, api_client):
    one = new_board("one", operator="set", starts_at=T)
    new_board("two", operator="set", starts_at=T)
    for index in range(3):
        write(one, make_player(f"p{index}"), index, at=at(index))
    cursor = page(api_client, "one", limit=1)["nextCursor"]
    body, signature = cursor.split(".")
    for bad, key in [
        (cursor, "two"),
        (body[:-2] + "AA." + signature, "one"),
        ("garbage", "one"),
        (cursor, "global"),
        ("a.\u00e4", "one"),  # not ASCII: hmac.compare_digest raised a TypeError (500)
        ("a.\u00e4", "global"),
    ]:
        response = api_client.get(f"/api/v1/leaderboards/{key}/records", {"cursor": bad})
        assert response.status_code == 400, (key, response.content)
        assert (
            response.json()["error"]["code"] == "VALIDATION_ERROR"
            and "cursor" in response.json()["error"]["details"]
        )


def test_it_refuses_a_cursor_on_the_periods_of_any_board(store, frozen, api_client):
    new_board("one", operator="set", starts_at=T)
    for key, bad in [("one", "a.\u00e4"), ("one", "garbage"), ("global", "garbage"), ("global", "a.\u00e4")]:
        response = api_client.get(f"/api/v1/leaderboards/{key}/periods", {"cursor": bad})
        assert response.status_code == 400, (key, bad, response.content)
        assert "cursor" in response.json()["error"]["details"]


def test_it_caps_a_page_at_1000(store, frozen, api_client):
    board = new_board("b", operator="set", starts_at=T)
    users = User.objects.bulk_create([User(username=f"bulk{i:04d}", email="") for i in range(1001)])
    LeaderboardRecord.objects.bulk_create(
        [
            LeaderboardRecord(board=board, period_start=T, user=u, score=i, rank_score=i, reached_at=T)
            for i, u in enumerate(users)
        ]
    )
    full = page(api_client, "b", limit=1000)
    assert len(full["records"]) == 1000 and full["totalPlayers"] == 1001 and full["nextCursor"]
    assert full["records"][0]["score"] == 1000 and full["records"][-1]["rank"] == 1000
    rest = page(api_client, "b", limit=1000, cursor=full["nextCursor"])
    assert [r["score"] for r in rest["records"]] == [0] and rest["nextCursor"] is None
    for limit in (0, 1001, "x"):
        assert api_client.get("/api/v1/leaderboards/b/records", {"limit": limit}).status_code == 400
    assert len(page(api_client, "b")["records"]) == 50


def test_it_answers_around_me(store, frozen, client_for):
    board = new_board("b", operator="set", starts_at=T)
    players = [make_player(f"p{i}") for i in range(9)]
    for index, player in enumerate(players):
        write(board, player, 100 - index, at=at(index))
    data = (
        client_for(players[4]).get("/api/v1/leaderboards/b/records/around-me", {"radius": 2}).json()["data"]
    )
    assert [r["username"] for r in data["records"]] == ["p2", "p3", "p4", "p5", "p6"]
    assert data["me"]["rank"] == 5
    outsider = make_player("outsider")
    assert client_for(outsider).get("/api/v1/leaderboards/b/records/around-me").status_code == 404


def test_it_takes_banned_players_off_every_board_and_brings_them_back(store, frozen, moderator):
    first = new_board("first", operator="set", starts_at=T)
    second = new_board("second", operator="best", sort_order="asc", starts_at=T)
    alice, bob = make_player("alice"), make_player("bob")
    for board in (first, second):
        write(board, alice, 10, at=at(1))
        write(board, bob, 20, at=at(2))
    assert scores("first")[0][0] == "bob" and scores("second")[0][0] == "alice"
    player_ban(user=alice, actor=moderator, reason="cheating")
    assert [s[0] for s in scores("first")] == ["bob"] and [s[0] for s in scores("second")] == ["bob"]
    assert selectors.records_page(key="second")["totalPlayers"] == 1
    player_unban(user=User.objects.get(pk=alice.pk), actor=moderator, reason="appeal")
    assert scores("first") == [("bob", 20, 1), ("alice", 10, 2)]
    assert scores("second") == [("alice", 10, 1), ("bob", 20, 2)]


def test_it_writes_one_ledger_row_per_board_write_and_leaves_the_global_score(store, frozen):
    board = new_board("b", operator="best", starts_at=T)
    alice = make_player("alice")
    for second, score in enumerate([40, 10, 90]):
        write(board, alice, score, at=at(second))
    rows = list(ScoreHistory.objects.filter(board=board).order_by("created_at"))
    assert [(r.kind, r.previous_score, r.new_score) for r in rows] == [
        ("board", 0, 40),
        ("board", 40, 40),
        ("board", 40, 90),
    ]
    assert all(r.board_period_start == T for r in rows)
    alice.refresh_from_db()
    assert alice.score == 0
    assert (
        ScoreHistory.objects.filter(user=alice, board__isnull=True).aggregate(s=Sum("increment"))["s"] or 0
    ) == 0
    # The board can be rebuilt from the ledger: the last row of each player holds the record.
    last = ScoreHistory.objects.filter(board=board, user=alice).order_by("-created_at").first()
    assert last.new_score == LeaderboardRecord.objects.get(board=board, user=alice).score


def test_it_reads_the_global_board_with_cursors(store, player, api_client):
    for index in range(7):
        player(f"g{index}", 100 * (index % 3), at=index)
    first = page(api_client, "global", limit=4)
    assert first["totalPlayers"] == 7 and first["period"]["id"] == "all"
    rest = page(api_client, "global", limit=4, cursor=first["nextCursor"])
    names = [r["username"] for r in first["records"] + rest["records"]]
    assert names == ["g2", "g5", "g1", "g4", "g0", "g3", "g6"]
    assert [r["rank"] for r in first["records"] + rest["records"]] == [1, 1, 3, 3, 5, 5, 5]
    assert rest["nextCursor"] is None
