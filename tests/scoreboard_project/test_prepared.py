"""A column's type changed under a prepared statement (``scoreboard_project/prepared``)."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection, transaction

pytestmark = [pytest.mark.production_shape, pytest.mark.django_db(transaction=True)]

SELECT = "SELECT id, v FROM prepared_probe WHERE id = %s"


@pytest.fixture
def probe_table():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE prepared_probe (id int PRIMARY KEY, v int)")
        cursor.execute("INSERT INTO prepared_probe VALUES (1, 2)")
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS prepared_probe")


def _prepare_then_change_the_column():
    with connection.cursor() as cursor:
        for _ in range(6):  # prepared from the sixth run (DB_PREPARE_THRESHOLD 5)
            cursor.execute(SELECT, [1])
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%%prepared_probe%%'"
        )
        assert cursor.fetchone()[0] == 1
    params = connection.get_connection_params()
    with psycopg.connect(
        **{k: v for k, v in params.items() if k in ("dbname", "user", "host", "port", "password")},
        autocommit=True,
    ) as other:  # another session changes the table, as a migration would
        other.execute("ALTER TABLE prepared_probe ALTER COLUMN v TYPE bigint")


def test_a_statement_outside_a_transaction_runs_again_unprepared(probe_table, caplog):
    _prepare_then_change_the_column()
    with connection.cursor() as cursor:
        cursor.execute(SELECT, [1])
        assert cursor.fetchone() == (1, 2)
        cursor.execute(SELECT, [1])  # and stays healed
        assert cursor.fetchone() == (1, 2)
    assert "prepared statement" in caplog.text


def test_inside_a_transaction_it_fails_once_and_the_rollback_heals_the_connection(probe_table):
    from django.db import NotSupportedError

    _prepare_then_change_the_column()
    with pytest.raises(NotSupportedError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(SELECT, [1])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(SELECT, [1])
        assert cursor.fetchone() == (1, 2)
