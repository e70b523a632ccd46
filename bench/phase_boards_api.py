"""The ``boards`` phase of ``bench/run.py``: a big named board through the public API.

A child process on the bench environment seeds the board straight in the database and
its Redis set (a million records through the API would take hours): ``boards`` boards,
the last one ``big`` (``best``, desc) with ``records`` players; it then times
``writes`` record writes in-process (the server's own time, wall and CPU per write,
no network), and hands over a game server's token and signed cursors at random depths.
Through nginx then: pages of ``big`` after those cursors (limit 50, open loop at a
constant rate: latency from when each request was due) and record writes by the game
server (open loop). ``make bench-boards`` keeps the 1,000,000-record in-process run.

    python bench/phase_boards_api.py <boards> <records> <samples> <writes>   (the child)
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if __name__ == "__main__":
    sys.path[0] = str(ROOT)  # the repository, not bench/ (whose profile.py shadows the standard one)

from bench import loadgen  # noqa: E402

PATH = "/api/v1/leaderboards/big/records"  # the big board of ``bench/phase_boards.seed_boards``


def seed(env: dict[str, str], *, boards: int, records: int, samples: int, writes: int) -> dict[str, Any]:
    """Run the child on ``env``: {"seeded", "serverTime", "answerTime", "token", "users", "cursors"}."""
    done = subprocess.run(
        [sys.executable, __file__, str(boards), str(records), str(samples), str(writes)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode:
        raise RuntimeError(f"seeding the boards failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def read_request(host: str, cursors: list[str]):
    return lambda i: loadgen.get(f"{PATH}?limit=50&cursor={cursors[i % len(cursors)]}", host)


def write_request(host: str, token: str, users: list[str]):
    headers = {"Authorization": f"Bearer {token}"}

    def make(_i: int) -> bytes:
        body = json.dumps({"userId": random.choice(users), "score": random.randrange(2_000_000)}).encode()
        return loadgen.post(PATH, host, body, headers)

    return make


def _child(boards: int, records: int, samples: int, writes: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scoreboard_project.settings")
    import django

    django.setup()
    from rest_framework.test import APIClient

    import scoreboard_project.asgi  # noqa: F401 - start-up frozen (gc.freeze), as in an app process
    from accounts.services import service_account_create
    from bench.phase_boards import big_board_sample, seed_boards, stats, timed

    started = time.perf_counter()
    seeded = seed_boards(boards=boards, records=records)
    loading, sampled, cursors = big_board_sample(samples)
    seeded.update(loading, total_s=round(time.perf_counter() - started, 1))
    _, token = service_account_create(name="bench-boards-game-server")
    users = [str(uid) for uid, _, _ in sampled]
    game = APIClient(HTTP_HOST="localhost")  # one of the bench's ALLOWED_HOSTS
    game.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    def write() -> Any:
        return game.post(
            PATH, {"userId": random.choice(users), "score": random.randrange(2_000_000)}, format="json"
        )

    write()  # warm-up: the board's copy, the scripts
    server_time = stats([timed(write) for _ in range(writes)])
    answer_time = stats(asyncio.run(answer_times(writes, token, users)))
    print(
        json.dumps(
            {
                "seeded": seeded,
                "serverTime": server_time,
                "answerTime": answer_time,
                "token": token,
                "users": users,
                "cursors": cursors,
            }
        )
    )


async def answer_times(writes: int, token: str, users: list[str]) -> list[tuple[float, float]]:
    """(wall, CPU) seconds from the request to its answer, through the ASGI application as
    daphne calls it: the server's own time to answer, without the work it does after the
    answer has gone (``after_response``), which the test client's timing includes."""
    from scoreboard_project.asgi import application

    headers = [(b"host", b"localhost"), (b"content-type", b"application/json")]
    headers.append((b"authorization", f"Bearer {token}".encode()))
    scope = {"type": "http", "method": "POST", "path": PATH, "query_string": b"", "headers": headers}

    async def answer_time(body: bytes) -> tuple[float, float]:
        answered: list[tuple[float, float]] = []
        cpu, started = time.process_time(), time.perf_counter()

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                assert message["status"] == 200, message
            else:
                answered.append((time.perf_counter() - started, time.process_time() - cpu))

        await application(dict(scope), receive, send)
        return answered[0]

    samples = []
    for index in range(writes + 5):  # the first five warm the thread pool's connections
        body = json.dumps({"userId": random.choice(users), "score": random.randrange(2_000_000)}).encode()
        sample = await answer_time(body)
        if index >= 5:
            samples.append(sample)
    return samples


if __name__ == "__main__":
    _child(*(int(value) for value in sys.argv[1:5]))
