"""After a fault: what the clients saw against what the database holds.

1. The ledger explains every score: Σ ScoreHistory.increment = User.score for every player.
2. One ledger row per 200, with the ``newScore`` the client was told; no row for an answer
   other than 200 (a client that lost its connection cannot know, so its row may exist).
3. The Redis ranking equals SQL (all time and today: members, scores, tie-break times,
   ready markers), and ``/leaderboard`` serves the SQL order. The ranking may converge
   lazily (the first reader rebuilds a lost board), so the checker reads ``/leaderboard``
   on a live server while it waits, up to ``settle`` seconds, and reports how long it took.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx
import psycopg
import redis

from leaderboard.periods import to_micros, window_for
from leaderboard.redis_store import decode_member

from .load import UNKNOWN, Seen

RANKED = "u.status = 'active' AND NOT u.is_staff AND NOT u.is_superuser AND NOT u.is_service_account"


@dataclass
class Report:
    players: int
    ledger_rows: int
    ok: int
    ranking_settled_s: float


def _sql(database_url: str, query: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(database_url, connect_timeout=5) as conn:
        return conn.execute(query, params).fetchall()


def check_ledger(database_url: str, seen: Seen) -> tuple[int, int]:
    unexplained = _sql(
        database_url,
        """
        SELECT u.username, u.score, COALESCE(SUM(h.increment), 0) FROM accounts_user u
        LEFT JOIN leaderboard_scorehistory h ON h.user_id = u.id
        GROUP BY u.id HAVING u.score <> COALESCE(SUM(h.increment), 0)""",
    )
    assert unexplained == [], (
        f"scores the ledger does not explain (username, score, Σ ledger): {unexplained[:10]}"
    )
    rows = {
        str(a): n
        for a, n in _sql(
            database_url,
            "SELECT action_id, new_score FROM leaderboard_scorehistory WHERE action_id IS NOT NULL",
        )
    }
    ok = {a for a, status in seen.outcomes.items() if status == 200}
    missing = sorted(ok - rows.keys())
    assert not missing, f"{len(missing)} answers of 200 without a ledger row, e.g. {missing[:3]}"
    wrong = {a: (seen.new_scores[a], rows[a]) for a in ok if seen.new_scores[a] != rows[a]}
    assert not wrong, f"200s whose newScore differs from the ledger (told, stored): {list(wrong.items())[:3]}"
    refused = {a: s for a, s in seen.outcomes.items() if a in rows and s not in (200, UNKNOWN)}
    assert not refused, f"ledger rows for completions answered with an error: {list(refused.items())[:5]}"
    total = _sql(
        database_url, "SELECT COUNT(*), (SELECT COUNT(*) FROM accounts_user) FROM leaderboard_scorehistory"
    )
    return total[0][1], total[0][0]


def sql_boards(database_url: str) -> dict[str, dict[str, tuple[int, int]]]:
    """{bucket: {user id: (score, tie-break µs)}} for all time and today, from the database."""
    everyone = {
        str(uid): (int(score), to_micros(at))
        for uid, score, at in _sql(
            database_url, f"SELECT u.id, u.score, u.score_updated_at FROM accounts_user u WHERE {RANKED}"
        )
    }
    today = window_for("daily")
    sums = {
        str(uid): (int(total), to_micros(last))
        for uid, total, last in _sql(
            database_url,
            f"""
        SELECT u.id, SUM(h.increment), MAX(h.created_at) FROM accounts_user u
        JOIN leaderboard_scorehistory h ON h.user_id = u.id
        WHERE {RANKED} AND h.kind = 'action' AND h.created_at >= %s AND h.created_at < %s
          AND NOT EXISTS (SELECT 1 FROM leaderboard_scorehistory v WHERE v.reverses_id = h.id)
        GROUP BY u.id""",
            (today.start, today.end),
        )
    }
    daily = {uid: sums.get(uid, (0, to_micros(today.start))) for uid in everyone}
    return {"all": everyone, today.bucket: daily}


def redis_board(client: redis.Redis, prefix: str, bucket: str) -> dict[str, tuple[int, int]] | None:
    """The board as Redis holds it, or None while it is not marked ready (being rebuilt)."""
    key = ":".join((prefix, "lb", *bucket.split(":")))
    if not client.exists(f"{key}:ready"):
        return None
    board = {}
    for member, score in client.zrange(key, 0, -1, withscores=True):
        uid, micros = decode_member(member)
        board[uid] = (int(score), micros)
    return board


def served_order(base: str, limit: int = 100) -> list[tuple[str, int]]:
    response = httpx.get(f"{base}/api/v1/leaderboard", params={"limit": limit}, timeout=10)
    assert response.status_code == 200, response.text
    return [(e["userId"], e["score"]) for e in response.json()["data"]["leaderboard"]]


def sql_order(board: dict[str, tuple[int, int]], limit: int = 100) -> list[tuple[str, int]]:
    ordered = sorted(board.items(), key=lambda item: (-item[1][0], item[1][1], item[0]))
    return [(uid, score) for uid, (score, _) in ordered[:limit]]


def ranking_differences(database_url: str, client: redis.Redis, prefix: str, base: str) -> list[str]:
    problems = []
    for bucket, expected in sql_boards(database_url).items():
        held = redis_board(client, prefix, bucket)
        if held is None:
            problems.append(f"{bucket}: not ready in Redis")
        elif held != expected:
            differ = [u for u in expected.keys() | held.keys() if expected.get(u) != held.get(u)]
            problems.append(
                f"{bucket}: {len(differ)} players differ, e.g. "
                f"{[(u, expected.get(u), held.get(u)) for u in differ[:2]]}"
            )
        elif bucket == "all" and served_order(base) != sql_order(expected):
            problems.append("/leaderboard does not serve the SQL order")
    return problems


def check_ranking(database_url: str, redis_url: str, base: str, *, settle: float = 10.0) -> float:
    """Seconds until the Redis ranking (and /leaderboard) equals SQL; fails after ``settle``."""
    client = redis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=5)
    prefix = f"scoreboard{(redis_url.rsplit('/', 1)[-1] or '0')}"
    started = time.monotonic()
    problems: list[str] = []
    try:
        while time.monotonic() - started < settle:
            for period in ("all", "daily"):  # readers rebuild a board that is not ready
                httpx.get(f"{base}/api/v1/leaderboard", params={"period": period}, timeout=10)
            problems = ranking_differences(database_url, client, prefix, base)
            if not problems:
                return time.monotonic() - started
            time.sleep(0.2)
    finally:
        client.close()
    raise AssertionError(f"the Redis ranking differs from SQL after {settle} s: {problems}")


def check_all(database_url: str, redis_url: str, base: str, seen: Seen, *, settle: float = 10.0) -> Report:
    """The whole check after a fault (the stores must be up again)."""
    players, rows = check_ledger(database_url, seen)
    settled = check_ranking(database_url, redis_url, base, settle=settle)
    return Report(players=players, ledger_rows=rows, ok=seen.ok(), ranking_settled_s=settled)
