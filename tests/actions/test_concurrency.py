"""One token, many simultaneous completions: exactly one 200, and the ledger agrees."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Sum

from accounts.models import User
from leaderboard.models import ScoreHistory
from tests.helpers.actions import age_action, complete_token, request_token
from tests.helpers.players import make_player
from tests.helpers.racing import race

ROOT = Path(__file__).resolve().parents[2]


def assert_ledger_agrees() -> None:
    for user in User.objects.all():
        total = ScoreHistory.objects.filter(user=user).aggregate(total=Sum("increment"))["total"] or 0
        assert user.score == total, user.username


@pytest.mark.django_db(transaction=True)
def test_it_gives_one_200_to_eight_threads_racing_on_one_token(client_for, many_completions):
    alice = make_player("alice")
    clients = [client_for(alice) for _ in range(8)]
    issued = request_token(clients[0])
    age_action(issued["actionId"], 5)
    statuses = race(8, lambda i: complete_token(clients[i], issued, 2000).status_code)
    assert Counter(statuses) == Counter({200: 1, 409: 7})
    alice.refresh_from_db()
    assert alice.score == 100
    assert ScoreHistory.objects.filter(user=alice).count() == 1
    assert_ledger_agrees()


@pytest.mark.django_db(transaction=True)
def test_it_keeps_score_and_ledger_in_step_under_concurrent_completions(client_for, many_completions):
    players = [make_player(f"player{i}") for i in range(3)]
    jobs = []
    for player in players:
        client = client_for(player)
        for _ in range(4):
            issued = request_token(client)
            age_action(issued["actionId"], 5)
            jobs.append((client, issued))
    statuses = race(len(jobs), lambda i: complete_token(jobs[i][0], jobs[i][1], 2000).status_code)
    assert statuses == [200] * len(jobs)
    for player in players:
        player.refresh_from_db()
        assert player.score == 400 and player.total_actions == 4
    assert_ledger_agrees()


CHILD = textwrap.dedent("""
    import json, os, sys, time, uuid
    import django
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scoreboard_project.settings")
    django.setup()
    from accounts.models import User
    from actions import services
    from scoreboard_project.errors import ApplicationError
    user = User.objects.get(pk=os.environ["RACE_USER"])
    proof = services.Proof(int(os.environ["RACE_TIME"]), os.environ["RACE_CHECKSUM"])
    start = float(os.environ["RACE_START"])
    while time.time() < start:
        time.sleep(0.001)
    try:
        services.action_complete(user=user, token=os.environ["RACE_TOKEN"],
                                 action_id=uuid.UUID(os.environ["RACE_ACTION"]), proof=proof)
        print(json.dumps({"status": 200}))
    except ApplicationError as exc:
        print(json.dumps({"status": exc.status, "code": exc.code}))
""")


@pytest.mark.production_shape
@pytest.mark.django_db(transaction=True)
def test_it_gives_one_200_to_two_processes_racing_on_one_token(client_for, test_env):
    from anticheat.proofs import proof_checksum

    alice = make_player("alice")
    issued = request_token(client_for(alice))
    age_action(issued["actionId"], 5)
    db = connection.settings_dict
    env = {
        **test_env,
        # the children share this test's database and Redis; limits raised so the database decides
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "RATE_LIMIT_ACTIONS_PER_SECOND": "1000",
        "RATE_LIMIT_ACTIONS_PER_MINUTE": "1000",
        "RATE_LIMIT_ACTIONS_PER_HOUR": "1000",
        "RATE_LIMIT_ACTIONS_PER_DAY": "1000",
        "RACE_USER": str(alice.pk),
        "RACE_TOKEN": issued["actionToken"],
        "RACE_ACTION": issued["actionId"],
        "RACE_TIME": "2000",
        "RACE_START": str(time.time() + 4),
        "RACE_CHECKSUM": proof_checksum(
            proof_key=issued["proofKey"], action_id=issued["actionId"], completion_time_ms=2000
        ),
        "PYTHONPATH": str(ROOT),
    }
    if db.get("PASSWORD"):
        env["DATABASE_URL"] = (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [child.communicate(timeout=60) for child in children]
    results = [json.loads(out.strip().splitlines()[-1]) for out, _err in outputs]
    assert sorted(r["status"] for r in results) == [200, 409], outputs
    assert [r.get("code") for r in results if r["status"] == 409] == ["TOKEN_ALREADY_USED"]
    alice.refresh_from_db()
    assert alice.score == 100
    assert_ledger_agrees()


@pytest.mark.django_db(transaction=True)
def test_it_answers_409_not_429_to_the_losers_under_the_default_limits(client_for):
    """The contract's race: one 200, the others TOKEN_ALREADY_USED, with 1 completion/s."""
    alice = make_player("alice")
    clients = [client_for(alice) for _ in range(4)]
    issued = request_token(clients[0])
    age_action(issued["actionId"], 5)
    responses = race(4, lambda i: complete_token(clients[i], issued, 2000))
    assert Counter(r.status_code for r in responses) == Counter({200: 1, 409: 3})
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"TOKEN_ALREADY_USED"}
    assert_ledger_agrees()
