"""Players for a fault test, written by a child process on the test's own stores.

``python -m tests.e2e.faults.seed --players N [--tokens] [--ledger]`` with DATABASE_URL and
REDIS_URL in the environment prints one JSON object: ``{"players": [{"id", "username",
"token"?}]}``. ``--ledger`` gives each player a random score with one ledger row for it
(today), so a ranking rebuild has real period sums to load. Through the ORM (bulk), so
fields other branches add keep their defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--players", type=int, required=True)
    parser.add_argument("--prefix", default="p")
    parser.add_argument("--tokens", action="store_true")
    parser.add_argument("--ledger", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scoreboard_project.settings")
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from accounts.tokens import issue_token_pair
    from leaderboard.models import ScoreHistory

    rng = random.Random(args.players)
    password = make_password(None)
    now = timezone.now()
    out = []
    batch = 10_000
    for start in range(0, args.players, batch):
        with transaction.atomic():
            users = [
                User(username=f"{args.prefix}{n}", email=f"{args.prefix}{n}@faults.invalid", password=password,
                     score=rng.randrange(0, 10_000) * 10 if args.ledger else 0, score_updated_at=now)
                for n in range(start, min(args.players, start + batch))
            ]
            User.objects.bulk_create(users, batch_size=batch)
            if args.ledger:
                ScoreHistory.objects.bulk_create([
                    ScoreHistory(user=u, action_type="COMPLETE_LEVEL", increment=u.score, previous_score=0,
                                 new_score=u.score, created_at=now, note="faults seed")
                    for u in users if u.score
                ], batch_size=batch)
        for user in users:
            entry = {"id": str(user.pk), "username": user.username}
            if args.tokens:
                entry["token"] = issue_token_pair(user).access
            out.append(entry)
    json.dump({"players": out}, sys.stdout)


if __name__ == "__main__":
    main()
