"""The tamper-evident ledger: chained hashes, verify_ledger, the data migration."""

from __future__ import annotations

import importlib
import io

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from accounts.models import User
from leaderboard import ledger
from leaderboard.models import ScoreHistory
from leaderboard.services import score_history_record
from tests.helpers.racing import race

TABLE = ScoreHistory._meta.db_table


def _score(user: User, points: int, **fields) -> ScoreHistory:
    return score_history_record(user=user, increment=points, action_type="COMPLETE_LEVEL", **fields).entry


def _verify() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_ledger", stdout=out, stderr=err)
    except CommandError as exc:
        return exc.returncode, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def _raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def ledger_rows(alice, bob) -> list[ScoreHistory]:
    rows = [_score(alice, 100), _score(bob, 250), _score(alice, 500), _score(alice, 100)]
    rows.append(
        score_history_record(user=alice, increment=-500, kind=ScoreHistory.Kind.VOID, reverses=rows[2]).entry
    )
    return rows


@pytest.mark.django_db
def test_it_chains_each_players_rows_from_64_zeros(ledger_rows, alice, bob):
    previous = {alice.pk: ledger.GENESIS, bob.pk: ledger.GENESIS}
    for entry in ScoreHistory.objects.order_by("id"):
        fields = (entry.pk, entry.user_id, entry.increment, entry.kind, entry.action_id, entry.created_at)
        assert entry.hash == ledger.link(previous[entry.user_id], fields)
        assert len(entry.hash) == 64
        previous[entry.user_id] = entry.hash
    alice.refresh_from_db()
    bob.refresh_from_db()
    assert (alice.ledger_head, bob.ledger_head) == (previous[alice.pk], previous[bob.pk])
    assert ledger_rows[0].hash == ScoreHistory.objects.get(pk=ledger_rows[0].pk).hash


def test_it_defines_one_canonical_encoding():
    from datetime import UTC, datetime
    from uuid import UUID

    row = (
        7,
        UUID("00000000-0000-4000-8000-00000000000a"),
        -250,
        "void",
        None,
        datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
    )
    assert ledger.canonical_bytes(ledger.GENESIS, row) == (
        b"sb-ledger-v1\n"
        + b"0" * 64
        + b"\n7\n00000000-0000-4000-8000-00000000000a\n-250\nvoid\n\n1767323045678901"
    )
    # The same row given with a string user id hashes the same.
    assert ledger.link(ledger.GENESIS, row) == ledger.link(ledger.GENESIS, (7, str(row[1]).upper(), *row[2:]))


@pytest.mark.django_db
def test_it_reports_an_intact_ledger(ledger_rows):
    code, out, err = _verify()
    assert code == 0
    assert out.strip().endswith("ledger: 5 rows, 2 players, 0 broken")
    assert "verifying [" in err and "5/5 rows" in err


@pytest.mark.django_db
def test_it_names_a_row_edited_with_raw_sql(ledger_rows, alice):
    edited = ledger_rows[2]
    _raw(f"UPDATE {TABLE} SET increment = 5000 WHERE id = %s", [edited.pk])
    code, out, _ = _verify()
    assert code == 1
    assert f"player {alice.pk} (alice): row #{edited.pk}:" in out
    assert "ledger: 5 rows, 2 players, 1 broken" in out


@pytest.mark.django_db
def test_it_names_an_edit_whose_hash_was_recomputed_at_the_next_row(ledger_rows, alice):
    """Recomputing the edited row's own hash only moves the break to the row after it."""
    edited, following = ledger_rows[2], ledger_rows[3]
    forged = ledger.link(ledger_rows[0].hash, (edited.pk, alice.pk, 5000, "action", None, edited.created_at))
    _raw(f"UPDATE {TABLE} SET increment = 5000, hash = %s WHERE id = %s", [forged, edited.pk])
    code, out, _ = _verify()
    assert code == 1 and f"row #{following.pk}:" in out and f"row #{edited.pk}:" not in out


@pytest.mark.django_db
def test_it_names_the_row_after_a_deleted_one(ledger_rows, alice):
    removed, following = ledger_rows[3], ledger_rows[4]
    _raw(f"DELETE FROM {TABLE} WHERE id = %s", [removed.pk])
    code, out, _ = _verify()
    assert code == 1
    assert f"player {alice.pk} (alice): row #{following.pk}:" in out
    assert f"is not row #{ledger_rows[2].pk}'s new score" in out
    assert "ledger: 4 rows, 2 players, 1 broken" in out


@pytest.mark.django_db
def test_it_names_the_head_when_the_last_row_is_deleted(ledger_rows, bob):
    _raw(f"DELETE FROM {TABLE} WHERE id = %s", [ledger_rows[1].pk])  # bob's only row
    code, out, _ = _verify()
    assert code == 1
    assert f"player {bob.pk} (bob): chain head:" in out and "was removed" in out


@pytest.mark.django_db
def test_it_names_reordered_rows(ledger_rows):
    first, second = ledger_rows[0], ledger_rows[2]
    _raw(f"UPDATE {TABLE} SET created_at = %s WHERE id = %s", [second.created_at, first.pk])
    code, out, _ = _verify()
    assert code == 1 and f"row #{first.pk}:" in out


@pytest.mark.django_db(transaction=True)
def test_it_keeps_one_chain_under_concurrent_writes(alice):
    outcomes = race(8, lambda _: _score(User.objects.get(pk=alice.pk), 10))
    assert all(isinstance(outcome, ScoreHistory) for outcome in outcomes), outcomes
    alice.refresh_from_db()
    assert alice.score == 80
    assert ledger.verify_player(alice) is None
    assert _verify()[1].strip().endswith("ledger: 8 rows, 1 players, 0 broken")


@pytest.mark.django_db
def test_it_hashes_existing_rows_in_the_data_migration_as_the_service_would(ledger_rows, alice, bob):
    written = dict(ScoreHistory.objects.values_list("id", "hash"))
    # As before the migration: no hashes, no heads.
    ScoreHistory.objects.update(hash="")
    User.objects.update(ledger_head=ledger.GENESIS)
    migration = importlib.import_module("leaderboard.migrations.0002_ledger_hash")
    if connection.vendor == "postgresql":  # ALTER TABLE refuses to run with deferred FK checks pending
        _raw("SET CONSTRAINTS ALL IMMEDIATE", [])
    migration.hash_existing_rows(django_apps, connection.schema_editor())
    assert dict(ScoreHistory.objects.values_list("id", "hash")) == written
    assert _verify()[0] == 0


@pytest.mark.django_db
def test_it_shows_each_rows_hash_to_moderators(ledger_rows, alice, moderator, client_for):
    response = client_for(moderator).get(f"/api/v1/admin/users/{alice.pk}/history")
    assert response.status_code == 200
    history = response.json()["data"]["history"]
    assert [row["hash"] for row in history] == [
        row.hash for row in sorted((r for r in ledger_rows if r.user_id == alice.pk), key=lambda r: -r.pk)
    ]


@pytest.mark.django_db
def test_it_says_in_the_admin_whether_a_players_chain_verifies(ledger_rows, alice, admin_client):
    page = admin_client.get(f"/admin/leaderboard/scorehistory/?user={alice.pk}", follow=True)
    assert "Ledger chain of alice: verifies." in page.content.decode()
    _raw(f"UPDATE {TABLE} SET increment = 1 WHERE id = %s", [ledger_rows[0].pk])
    page = admin_client.get(f"/admin/leaderboard/scorehistory/?user={alice.pk}", follow=True)
    assert f"BROKEN: player {alice.pk} (alice): row #{ledger_rows[0].pk}" in page.content.decode()


@pytest.mark.django_db
def test_it_chains_seeded_demo_rows_too():
    call_command("seed_demo", players=12, stdout=io.StringIO())
    code, out, _ = _verify()
    assert code == 0 and out.strip().endswith(f"{ScoreHistory.objects.count()} rows, 12 players, 0 broken")
    assert not ScoreHistory.objects.filter(hash="").exists()


@pytest.mark.django_db(transaction=True)
def test_it_chains_named_board_rows_with_the_players_other_rows(alice):
    """A board write (a game server's record, a completion feeding a board) is a link of the
    same chain: verify_ledger walks it, and an edit of a board row is named."""
    from tests.helpers.boards import new_board, write

    board = new_board("arena", operator="incr")
    score_history_record(user=alice, increment=100)
    write(board, alice, 7)
    score_history_record(user=alice, increment=50)
    write(board, alice, 3)
    assert ScoreHistory.objects.filter(user=alice, kind=ScoreHistory.Kind.BOARD).count() == 2
    alice.refresh_from_db()
    assert alice.score == 150  # board rows never move the global score
    assert ledger.verify_player(alice) is None
    out = io.StringIO()
    call_command("verify_ledger", stdout=out, stderr=io.StringIO())
    assert "0 broken" in out.getvalue()
    row = ScoreHistory.objects.filter(user=alice, kind=ScoreHistory.Kind.BOARD).order_by("id").first()
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {ScoreHistory._meta.db_table} SET increment = 70 WHERE id = %s", [row.pk])
    assert ledger.verify_player(alice).row_id == row.pk
