"""Two OS processes notice the same due resets at the same instant: each period is closed
and opened exactly once, and the finished standings are archived once.

SQLite cannot host this: the test database of the embedded run lives in the test
process' memory, which another process cannot open, so it runs on PostgreSQL + Redis.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings

from leaderboard.boards import resets, services
from leaderboard.boards.models import LeaderboardPeriod
from tests.helpers.boards import new_board
from tests.helpers.child_servers import child_server_env
from tests.helpers.players import make_player

ROOT = Path(__file__).resolve().parents[2]
BOARDS = 12
pytestmark = [
    pytest.mark.skipif(
        settings.USES_SQLITE,
        reason="two processes need a shared database: the embedded "
        "run's SQLite test database is in the memory of the test process",
    ),
    pytest.mark.django_db(transaction=True),
]

# Both children boot Django, say "ready", block on stdin until the parent says "go" to both
# (so neither has begun before the other is ready), then roll every due board at one `now`.
CHILD = textwrap.dedent("""
    import json, sys
    from datetime import datetime
    import django
    django.setup()
    from leaderboard.boards import resets, services
    from leaderboard.boards.models import LeaderboardPeriod
    LeaderboardPeriod.objects.exists()  # the connection is open before the start
    print("ready", flush=True)
    sys.stdin.readline()
    print(json.dumps({"rolled": resets.roll_due(datetime.fromisoformat(sys.argv[1]))}), flush=True)
""")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_it_rolls_each_due_period_exactly_once_across_two_processes(monkeypatch, api_client, settings):
    settings.BOARD_RESET_CLOCK = False  # only the two children roll: no clock thread in this process
    clock = {"now": utc(2026, 5, 4, 12)}
    monkeypatch.setattr("leaderboard.boards.clock.now", lambda: clock["now"])
    boards = [new_board(f"hourly-{i}", operator="best", reset_schedule="0 * * * *") for i in range(BOARDS)]
    players = [make_player(name) for name in ("ann", "ben", "cat", "dan")]
    for board in boards:
        for score, player in enumerate(players):
            services.record_write(
                board=board, user=player, score=10 * (score + 1), at=utc(2026, 5, 4, 12, 30)
            )
    due = clock["now"] = utc(2026, 5, 4, 13, 0, 0, 1000)
    env = child_server_env(
        DJANGO_SETTINGS_MODULE="scoreboard_project.settings",
        PYTHONPATH=str(ROOT),
        BOARD_RESET_CLOCK="false",
        LOG_LEVEL="WARNING",
        DEBUG="false",
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, due.isoformat()],
            env=env,
            cwd=ROOT,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    try:
        for child in children:
            assert child.stdout.readline().strip() == "ready", child.stderr.read()
        for child in children:
            child.stdin.write("go\n")
            child.stdin.flush()
        outputs = [child.communicate(timeout=60) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    rolled = [json.loads(out.strip().splitlines()[-1])["rolled"] for out, _ in outputs]
    assert sum(rolled) == BOARDS, (rolled, [err for _, err in outputs])
    assert resets.roll_due(due) == 0  # nothing left for a third
    for board in boards:
        rows = list(LeaderboardPeriod.objects.filter(board=board).order_by("starts_at"))
        assert [(r.starts_at, r.ends_at) for r in rows] == [
            (utc(2026, 5, 4, 12), utc(2026, 5, 4, 13)),
            (utc(2026, 5, 4, 13), utc(2026, 5, 4, 14)),
        ]
        finished, current = rows
        assert finished.finished_at == due and finished.total_players == len(players)
        assert current.finished_at is None
    # The archive: the finished hour with its final top 3, listed once.
    periods = api_client.get("/api/v1/leaderboards/hourly-0/periods").json()["data"]["periods"]
    assert [(p["totalPlayers"], [r["score"] for r in p["top"]]) for p in periods] == [(4, [40, 30, 20])]
