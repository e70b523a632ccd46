"""Bench players, created straight in the bench database with an access token each.

Registration through the API hashes a password with Argon2 (about 0.1 s of CPU): for
hundreds of players that alone would take a minute on this machine. The bench measures
the game path, not registration, so players are created here (run as a child process on
the bench environment) and every measured request goes through the public API.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Player:
    id: str
    username: str
    token: str


def create(env: dict[str, str], prefix: str, count: int) -> list[Player]:
    output = subprocess.run(
        [sys.executable, __file__, prefix, str(count)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    ).stdout
    return [Player(**row) for row in json.loads(output.strip().splitlines()[-1])]


def _main(prefix: str, count: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scoreboard_project.settings")
    import django

    django.setup()
    from accounts.models import User
    from accounts.tokens import issue_token_pair

    rows = []
    for index in range(count):
        user = User(username=f"{prefix}{index:05d}", email=f"{prefix}{index:05d}@bench.invalid")
        user.set_unusable_password()
        user.save()  # the receivers rank the player at once, as registration does
        rows.append({"id": str(user.pk), "username": user.username, "token": issue_token_pair(user).access})
    print(json.dumps(rows))


if __name__ == "__main__":
    _main(sys.argv[1], int(sys.argv[2]))
