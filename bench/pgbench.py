"""The database's ceiling for one full flow: pgbench running the service's own SQL (bench/flow.sql).

Run last: it writes tokens, scores and ledger rows straight into the bench database,
behind the ranking store's back.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from .database import DATABASE, HOST, psql_value

SCRIPT = Path(__file__).with_name("flow.sql")


def _psql(sql: str) -> None:
    subprocess.run(
        [shutil.which("psql") or "psql", "-h", HOST, "-U", "postgres", "-d", DATABASE, "-q", "-c", sql],
        check=True,
        capture_output=True,
        timeout=60,
    )


def ceiling(*, seconds: int, clients: int = 8) -> dict[str, object]:
    """Flows per second with ``clients`` connections for ``seconds`` over the bench's players."""
    binary = shutil.which("pgbench")
    if binary is None:
        return {"error": "pgbench not found"}
    _psql(
        "DROP TABLE IF EXISTS bench_players; CREATE TABLE bench_players AS SELECT row_number() OVER () AS n, id "
        "FROM accounts_user WHERE NOT is_staff AND NOT is_service_account; "
        "CREATE UNIQUE INDEX ON bench_players (n); ANALYZE bench_players;"
    )
    try:
        count = psql_value("SELECT count(*) FROM bench_players")
        done = subprocess.run(
            [
                binary,
                "-h",
                HOST,
                "-U",
                "postgres",
                "-n",
                "-M",
                "extended",
                "-c",
                str(clients),
                "-j",
                "2",
                "-T",
                str(seconds),
                "-D",
                f"players={count}",
                "-f",
                str(SCRIPT),
                DATABASE,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    finally:
        _psql("DROP TABLE IF EXISTS bench_players")
    tps = re.search(r"tps = ([\d.]+)", done.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    latency = re.search(r"latency average = ([\d.]+) ms", done.stdout)
    if done.returncode != 0 or tps is None:
        return {"error": (done.stderr or done.stdout)[-400:]}
    return {
        "flowsPerSecond": round(float(tps.group(1)), 1),
        "clients": clients,
        "seconds": seconds,
        "failed": int(failed.group(1)) if failed else 0,
        "latencyMs": float(latency.group(1)) if latency else None,
    }
