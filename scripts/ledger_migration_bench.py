"""Time the ledger's data migration (and verify_ledger) on a million existing rows.

    .venv/bin/python scripts/ledger_migration_bench.py [--rows 1000000] [--players 50000]
        [--database sb_h14_bench] [--skip-verify]

Recreates the PostgreSQL database ``--database`` on 127.0.0.1:5432, migrates it to the
state before the hash (``leaderboard 0001``, ``accounts 0002``), writes the players and
their rows with ``generate_series`` (no hashes), then times ``migrate`` (the AddFields and
the batched hashing of ``leaderboard 0002``) and ``verify_ledger``. Rerunnable: each run
starts from an empty database. Prints the figures; nothing else is touched.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
HOST = "postgres://postgres@127.0.0.1:5432"

PLAYERS_SQL = """
INSERT INTO accounts_user (id, password, is_superuser, username, first_name, last_name, email, is_staff,
    is_active, date_joined, status, is_service_account, score, total_actions, score_updated_at)
SELECT md5('player' || n)::uuid, '!', false, 'player' || n, '', '', '', false, true, now(), 'active', false,
    0, 0, now()
FROM generate_series(1, %(players)s) AS n
"""

ROWS_SQL = """
INSERT INTO leaderboard_scorehistory (user_id, kind, action_id, action_type, reference, once_per_reference,
    increment, previous_score, new_score, proof, signature, note, created_at)
SELECT md5('player' || (1 + n %% %(players)s))::uuid, 'action', gen_random_uuid(), 'COMPLETE_LEVEL', '',
    false, 100, 100 * (n / %(players)s), 100 * (n / %(players)s + 1), '{}'::jsonb, '', '',
    now() - interval '30 days' + n * interval '1 millisecond'
FROM generate_series(0, %(rows)s - 1) AS n
"""


def manage(database_url: str, *args: str) -> float:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "JWT_SECRET": "bench-jwt-secret-not-for-production-0123456789",
        "ACTION_TOKEN_SECRETS": "bench-action-secret-one",
    }
    env.pop("REDIS_URL", None)
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--players", type=int, default=50_000)
    parser.add_argument("--database", default="sb_h14_bench")
    parser.add_argument("--skip-verify", action="store_true")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the database of the last run: migrate it back before the hash, then time again",
    )
    options = parser.parse_args()
    database_url = f"{HOST}/{options.database}"
    if options.reuse:
        manage(database_url, "migrate", "leaderboard", "0001", "--noinput", "-v0")
        manage(database_url, "migrate", "accounts", "0002", "--noinput", "-v0")
        with psycopg.connect(database_url, autocommit=True) as db:
            db.execute("VACUUM ANALYZE")
        return measure(database_url, options)
    with psycopg.connect(f"{HOST}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{options.database}"')
        admin.execute(f'CREATE DATABASE "{options.database}"')
    manage(database_url, "migrate", "--noinput", "-v0")
    manage(database_url, "migrate", "leaderboard", "0001", "--noinput", "-v0")
    manage(database_url, "migrate", "accounts", "0002", "--noinput", "-v0")
    started = time.perf_counter()
    with psycopg.connect(database_url, autocommit=True) as db:
        db.execute(PLAYERS_SQL, {"players": options.players})
        db.execute(ROWS_SQL, {"players": options.players, "rows": options.rows})
        db.execute("VACUUM ANALYZE")
    print(f"wrote {options.players} players and {options.rows} rows in {time.perf_counter() - started:.1f} s")
    measure(database_url, options)


def measure(database_url: str, options: argparse.Namespace) -> None:
    took = manage(database_url, "migrate", "--noinput", "-v0")
    print(
        f"migrate (ledger_head + hash columns, hashing every row): {took:.1f} s "
        f"({options.rows / took:,.0f} rows/s)"
    )
    if not options.skip_verify:
        took = manage(database_url, "verify_ledger", "--no-progress")
        print(f"verify_ledger: {took:.1f} s")


if __name__ == "__main__":
    main()
