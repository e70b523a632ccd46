"""The two hot paths of named boards stay within their round trips: a page read is two
Redis calls of its own and one pipeline (no SQL), a record write a fixed set of statements; board
rows come from the process' copy while the shared version holds."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
import redis
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from accounts.services import service_account_create
from leaderboard import ledger
from leaderboard.boards import definitions, selectors, services
from leaderboard.boards.models import Leaderboard, LeaderboardRecord
from leaderboard.boards.record_sql import planned_write
from leaderboard.boards.services import closed_refusal
from leaderboard.models import ScoreHistory
from scoreboard_project.redis_client import get_redis, redis_key
from tests.helpers.boards import new_board, page, write
from tests.helpers.players import make_player
from tests.helpers.stores import redis_calls

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.production_shape]
CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE")


def data_statements(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(CONTROL)]


@contextmanager
def pipelines(monkeypatch) -> Iterator[list[list[str]]]:
    """The commands of each pipeline this process executes (``redis_calls`` counts none)."""
    sent: list[list[str]] = []
    original = redis.client.Pipeline.execute

    def counting(self, *args, **kwargs):
        sent.append([str(command[0][0]) for command in self.command_stack])
        return original(self, *args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(redis.client.Pipeline, "execute", counting)
        yield sent


def arena_for_a_game_server(api_client) -> tuple[Leaderboard, User, str]:
    """Board ``arena`` and player alice; ``api_client`` then calls as a game server.
    (board, alice, the board's records URL)."""
    board = new_board("arena")
    _, token = service_account_create(name="game")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return board, make_player("alice"), "/api/v1/leaderboards/arena/records"


def test_it_reads_any_page_without_sql_in_three_redis_calls_and_one_pipeline(api_client, monkeypatch):
    board = new_board("arena")
    for index in range(5):
        write(board, make_player(f"p{index}"), 10 * index, metadata={"i": index})
    first = page(api_client, "arena", limit=2)  # warms the board's copy, the scripts, p4 and p3's names
    with CaptureQueriesContext(connection) as queries:
        second = page(api_client, "arena", limit=2, cursor=first["nextCursor"])
    assert [r["score"] for r in second["records"]] == [20, 10] and second["totalPlayers"] == 5
    # Names not cached yet (p2 and p1) are read by primary key, once.
    assert len(data_statements(queries)) == 1, data_statements(queries)
    with (
        CaptureQueriesContext(connection) as queries,
        redis_calls(monkeypatch) as sent,
        pipelines(monkeypatch) as piped,
    ):
        again = page(api_client, "arena", limit=2, cursor=first["nextCursor"])
    assert again["records"] == second["records"]
    assert [r["metadata"] for r in again["records"]] == [{"i": 2}, {"i": 1}]
    assert data_statements(queries) == []
    # The rate limits (one script), the boards' version, the page (one script); then the
    # players' names and metadata in one pipeline.
    assert sent == ["EVALSHA", "GET", "EVALSHA"], sent
    assert piped == [["HMGET", "EXISTS", "HMGET"]], piped


def test_it_writes_a_record_through_the_api_in_three_data_statements(api_client, monkeypatch, settings):
    settings.BROADCAST_INTERVAL_MS = 60_000  # the measured write finds the top 10 just sent
    board, alice, url = arena_for_a_game_server(api_client)
    for score, previous in ((5, None), (9, 5)):  # the first record (an INSERT), then an UPDATE
        with CaptureQueriesContext(connection) as queries:
            response = api_client.post(url, {"userId": str(alice.pk), "score": score}, format="json")
        assert response.status_code == 200 and response.json()["data"]["previousScore"] == previous
        # The caller (authentication), then the write: the player looked up and locked in one
        # statement (with the chain head, the ledger row's id, the version of the board's row
        # and the player's record), then the record's write, the ledger INSERT and the new
        # chain head in one statement. The board's row comes from this process' copy.
        statements = data_statements(queries)
        # (The first write also marks the board as having records, and reads its ranks in SQL.)
        assert previous is None or len(statements) == 3, statements
        [player] = [sql for sql in statements if "FOR UPDATE" in sql and "accounts_user" in sql]
        assert '"username"' in player and "nextval" in player and "xmin" in player
        assert "LEFT JOIN leaderboard_leaderboardrecord" in player
        [ledger] = [sql for sql in statements if "INSERT INTO" in sql and "leaderboard_scorehistory" in sql]
        assert ledger.startswith("WITH joined AS (") and "SET ledger_head" in ledger
        assert (
            "INSERT INTO leaderboard_leaderboardrecord"
            if previous is None
            else "UPDATE leaderboard_leaderboardrecord"
        ) in ledger
    # The board's columns are read by no statement (its row's version only, in the lock's).
    assert not any('"leaderboard_leaderboard"."' in sql for sql in statements), statements
    assert board.pk == Leaderboard.objects.get(key="arena").pk
    record = LeaderboardRecord.objects.get(board=board, user=alice)
    assert (record.score, record.rank_score) == (9, 9)
    assert record.reached_at == record.updated_at and record.reached_at > record.period_start


def test_a_record_changed_after_the_lock_read_it_is_written_again_from_its_own_lock(api_client, monkeypatch):
    """The planned write's UPDATE is guarded by the ``updated_at`` the lock statement read: a
    writer that changes the record without the player's lock in between (none does today)
    makes it change nothing, and the write is rolled back and made again from the record."""
    board, alice, url = arena_for_a_game_server(api_client)
    assert api_client.post(url, {"userId": str(alice.pk), "score": 5}, format="json").status_code == 200
    moved = []

    def changed_meanwhile(*args, **kwargs):
        if not moved:  # once, between the lock statement and the write, from another connection
            worker = threading.Thread(target=bump_behind_the_lock, args=(board, alice))
            worker.start()
            worker.join()
            moved.append(True)
        return closed_refusal(*args, **kwargs)

    monkeypatch.setattr(services, "closed_refusal", changed_meanwhile)
    response = api_client.post(url, {"userId": str(alice.pk), "score": 30}, format="json")
    assert moved and response.status_code == 200
    # Applied to the score the other writer left (20), not to the one the lock read (5).
    assert response.json()["data"]["previousScore"] == 20 and response.json()["data"]["score"] == 30
    assert LeaderboardRecord.objects.get(board=board, user=alice).score == 30
    rows = list(ScoreHistory.objects.filter(user=alice, board=board).order_by("id"))
    assert [(r.previous_score, r.new_score) for r in rows] == [(0, 5), (20, 30)]  # the first try left none
    assert ledger.verify_player(User.objects.get(pk=alice.pk)) is None


def test_a_write_that_waits_for_the_players_lock_reads_the_record_under_it(api_client, monkeypatch):
    """Another write holds the player: this one waits, then reads the record with its own
    lock (the waiting statement saw the record as it was before the other write), with no
    rollback and no second try."""
    board, alice, url = arena_for_a_game_server(api_client)
    assert api_client.post(url, {"userId": str(alice.pk), "score": 5}, format="json").status_code == 200
    holding, errors = threading.Event(), []

    def other_write() -> None:
        try:
            with transaction.atomic():
                services.record_write(board=Leaderboard.objects.get(pk=board.pk), user=alice, score=20)
                holding.set()
                time.sleep(0.5)  # the request below is waiting for the player's row meanwhile
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            holding.set()
            connection.close()

    planned = []
    monkeypatch.setattr(services, "planned_write", lambda **kw: planned.append(kw) or planned_write(**kw))
    worker = threading.Thread(target=other_write)
    worker.start()
    assert holding.wait(10)
    with CaptureQueriesContext(connection) as queries:
        response = api_client.post(url, {"userId": str(alice.pk), "score": 30}, format="json")
    worker.join(10)
    assert not errors and response.status_code == 200
    assert response.json()["data"]["previousScore"] == 20 and planned == []
    assert not any(q["sql"] == "ROLLBACK" for q in queries.captured_queries)
    assert "SKIP LOCKED" in queries.captured_queries[2]["sql"]  # after the caller's and BEGIN
    assert LeaderboardRecord.objects.get(board=board, user=alice).score == 30
    assert ledger.verify_player(User.objects.get(pk=alice.pk)) is None


def bump_behind_the_lock(board: Leaderboard, player: User) -> None:
    try:
        LeaderboardRecord.objects.filter(board=board, user=player).update(
            score=20, rank_score=20, updated_at=F("updated_at") + timedelta(seconds=1)
        )
    finally:
        connection.close()


def test_it_reads_a_board_from_the_process_copy_until_an_edit_moves_the_version():
    board = new_board("arena")
    definitions.board_lookup("arena")
    with CaptureQueriesContext(connection) as queries:
        assert definitions.board_lookup("arena").name == "Arena"
    assert queries.captured_queries == []
    # A write that bypasses the services is not seen: the copy is what is read.
    Leaderboard.objects.filter(pk=board.pk).update(name="Changed behind its back")
    assert definitions.board_lookup("arena").name == "Arena"
    # Any process's edit through the service moves the version: the next lookup reads the row.
    services.board_update(board=board, name="Arena 2")
    assert definitions.board_lookup("arena").name == "Arena 2"


def test_a_record_write_sees_a_change_to_the_boards_row_that_moved_no_version(api_client):
    board, alice, url = arena_for_a_game_server(api_client)
    assert api_client.post(url, {"userId": str(alice.pk), "score": 5}, format="json").status_code == 200
    # The season closed behind the services' back: no version moved, the copy says open.
    ended = timezone.now() - timedelta(minutes=1)
    Leaderboard.objects.filter(pk=board.pk).update(ends_at=ended)
    assert definitions.board_lookup("arena").ends_at is None
    response = api_client.post(url, {"userId": str(alice.pk), "score": 9}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "BOARD_CLOSED"
    # The write read the row again under its lock, and its copy replaced the process' one.
    assert definitions.board_lookup("arena").ends_at == ended
    assert api_client.get(url).json()["data"]["records"][0]["score"] == 5


def prepared_statements() -> set[str]:
    """The names of the statements prepared on this connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def test_a_refused_record_write_rolls_nothing_back_and_keeps_the_prepared_statements(api_client):
    board, alice, url = arena_for_a_game_server(api_client)
    for score in range(7):  # psycopg prepares a statement at its sixth run (threshold 5)
        assert (
            api_client.post(url, {"userId": str(alice.pk), "score": score}, format="json").status_code == 200
        )
    prepared = prepared_statements()
    assert len(prepared) >= 4  # the caller's, the player lock, the record's, the ledger row's
    # A ROLLBACK makes psycopg deallocate every prepared statement of the connection.
    with CaptureQueriesContext(connection) as queries:
        unknown = api_client.post(url, {"userId": str(uuid.uuid4()), "score": 1}, format="json")
    assert unknown.status_code == 404 and unknown.json()["error"]["details"]["userId"]
    control = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(CONTROL + ("ROLLBACK",))]
    assert control == ["BEGIN", "COMMIT"], control
    Leaderboard.objects.filter(pk=board.pk).update(ends_at=timezone.now() - timedelta(minutes=1))
    with CaptureQueriesContext(connection) as queries:
        closed = api_client.post(url, {"userId": str(alice.pk), "score": 99}, format="json")
    assert closed.status_code == 409 and closed.json()["error"]["code"] == "BOARD_CLOSED"
    assert not any(q["sql"] == "ROLLBACK" for q in queries.captured_queries)
    assert prepared <= prepared_statements()  # all still there (others may have joined them)
    assert api_client.get(url).json()["data"]["records"][0]["score"] == 6


def test_it_sees_another_process_edit_through_the_shared_version():
    new_board("arena")
    assert definitions.board_lookup("arena").name == "Arena"
    # Another process edits the row and moves the shared version (its version_bump); this
    # process' copy is untouched, yet its next lookup reads the row again.
    Leaderboard.objects.filter(key="arena").update(name="Edited elsewhere")
    get_redis().set(redis_key("boards", "version"), "set-by-another-process")
    assert definitions.board_lookup("arena").name == "Edited elsewhere"


def test_it_reads_the_top_10_after_a_write_only_when_the_player_is_or_was_in_it(settings, monkeypatch):
    settings.BROADCAST_INTERVAL_MS = 0  # every change may be sent at once: only the rank gates it
    board = new_board("arena")
    players = [make_player(f"p{index:02d}") for index in range(12)]
    for index, player in enumerate(players):
        write(board, player, 100 * (index + 1))

    reads: list[list[str]] = []
    players_of = selectors._players
    monkeypatch.setattr(
        selectors, "_players", lambda target, ids: reads.append(ids) or players_of(target, ids)
    )

    write(board, players[0], 150)  # 12th -> 11th: the top 10 is untouched
    assert reads == []
    write(board, players[0], 5000)  # 11th -> 1st
    assert len(reads) == 1 and reads[0][0] == str(players[0].pk)
    write(board, players[5], 650)  # 7th, unchanged rank: still compared (it is in the top 10)
    assert len(reads) == 2


def test_it_lists_the_boards_from_the_process_copy_until_an_edit_moves_the_version(api_client):
    new_board("arena")
    new_board("duel")
    assert [b["key"] for b in api_client.get("/api/v1/leaderboards").json()["data"]["leaderboards"]] == [
        "global",
        "arena",
        "duel",
    ]
    with CaptureQueriesContext(connection) as queries:
        api_client.get("/api/v1/leaderboards")
    assert not any('FROM "leaderboard_leaderboard"' in q["sql"] for q in queries.captured_queries)
    services.board_update(board=Leaderboard.objects.get(key="duel"), name="Duel 2")
    listed = api_client.get("/api/v1/leaderboards").json()["data"]["leaderboards"]
    assert [b["name"] for b in listed] == ["Global", "Arena", "Duel 2"]


def test_a_boards_first_record_moves_the_version_so_no_process_lists_it_as_empty(api_client):
    board = new_board("arena")
    alice, bob = make_player("alice"), make_player("bob")
    version = redis_key("boards", "version")
    api_client.get("/api/v1/leaderboards")
    before = get_redis().get(version)
    write(board, alice, 5)  # the first record: has_records turns true in the row
    after = get_redis().get(version)
    assert after != before
    write(board, bob, 7)  # not the first: the copies stay
    assert get_redis().get(version) == after
    listed = api_client.get("/api/v1/leaderboards").json()["data"]["leaderboards"]
    assert [b["totalPlayers"] for b in listed if b["key"] == "arena"] == [2]


def test_a_record_write_counts_its_ranks_in_the_scripts_own_call(api_client, monkeypatch, settings):
    settings.BROADCAST_INTERVAL_MS = 60_000  # the measured write finds the top 10 just sent
    board = new_board("arena")
    players = [make_player(f"p{index}") for index in range(12)]
    for index, player in enumerate(players):
        write(board, player, 100 * (index + 1))
    _, token = service_account_create(name="game")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    url = "/api/v1/leaderboards/arena/records"
    with redis_calls(monkeypatch) as sent:
        response = api_client.post(url, {"userId": str(players[0].pk), "score": 250}, format="json")
    data = response.json()["data"]
    assert (data["rank"], data["previousRank"]) == (11, 12)  # 100 -> 250 passes p1 (200)
    # The write with its ranks in one script (a game server has no rate limit, and the board's
    # copy is checked in SQL, not against the boards' version), then the players passed.
    assert sent == ["EVALSHA", "EVALSHA"], sent
