"""Micro-benchmark of the camelCasing: the render of a top-N REST answer (``read_cache.render``)
with camelCase rows (as before issue 11) and snake_case rows (``Entry`` now), and the build
of one top-10 frame pair (live + scoreboard) without and with ``case.camel_rows``.

Run: ``PYTHONPATH=. SECRET_KEY=... JWT_SECRET=... ACTION_TOKEN_SECRETS=... .venv/bin/python bench/camel_case.py``
(no database or Redis touched).
"""

from __future__ import annotations

import os
import timeit

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scoreboard_project.settings")
django.setup()

from leaderboard.broadcast.payloads import dumps, with_changes  # noqa: E402
from leaderboard.read_cache import render  # noqa: E402
from scoreboard_project.case import camel_rows  # noqa: E402


def rows(n: int, snake: bool) -> list[dict]:
    k = ("user_id", "display_name", "updated_at") if snake else ("userId", "displayName", "updatedAt")
    return [
        {
            "rank": i,
            k[0]: f"0b8f3c8e-6f43-4f3e-9a53-3c7b1f0b9e{i:02d}",
            "username": f"player{i}",
            k[1]: f"Player {i}",
            "score": 1000 - i,
            k[2]: "2026-01-01T00:00:00.000Z",
        }
        for i in range(n)
    ]


def main() -> None:
    for n in (10, 100):
        for snake in (False, True):
            data = {
                "leaderboard": rows(n, snake),
                "last_updated": "2026-01-01T00:00:00.000Z",
                "period": "all",
                "total_players": 5000,
            }
            took = min(timeit.repeat(lambda: render(data), number=2000, repeat=5)) / 2000  # noqa: B023
            print(f"render top {n:3d} {'snake' if snake else 'camel'}: {took * 1e6:7.1f} us")
    for snake in (False, True):
        entries = rows(10, snake)

        def frame() -> None:
            wire = camel_rows(entries) if snake else entries  # noqa: B023
            dumps({"leaderboard": wire, "updatedAt": "x", "seq": 1})
            dumps({"leaderboard": with_changes(wire, {}), "updatedAt": "x", "seq": 1})

        took = min(timeit.repeat(frame, number=5000, repeat=5)) / 5000
        print(
            f"frame build top 10 {'snake + camel_rows' if snake else 'camel (before)'}: {took * 1e6:6.1f} us"
        )


if __name__ == "__main__":
    main()
