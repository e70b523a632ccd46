"""Players for a fault test, written by a child process on the test's own stores.

``python -m tests.helpers.faults.seed --players N [--tokens] [--ledger]`` with DATABASE_URL and
REDIS_URL in the environment prints one JSON object: ``{"players": [{"id", "username",
"token"?}]}``. ``--ledger`` gives each player a random score with one ledger row for it
(five minutes ago), so a ranking rebuild has real period sums to load, and writes them in
bulk (no tokens): one player and one ledger row through the ORM, copied by
``INSERT ... SELECT`` over ``generate_series``, so columns other branches add keep the
ORM's values. Otherwise through the ORM.
"""

from __future__ import annotations

import argparse
import json
import os
import sys


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--players", type=int, required=True)
    parser.add_argument("--prefix", default="p")
    parser.add_argument("--tokens", action="store_true")
    parser.add_argument("--ledger", action="store_true")
    parser.add_argument("--churn", type=int, default=0, help="instead: this many +100 changes, round robin")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scoreboard_project.settings")
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from accounts.tokens import issue_token_pair

    if args.churn:
        json.dump({"changes": churn(args.prefix, args.churn)}, sys.stdout)
        return
    if args.ledger:
        json.dump({"players": bulk_players(args.prefix, args.players)}, sys.stdout)
        return
    password = make_password(None)
    now = timezone.now()
    out = []
    batch = 10_000
    for start in range(0, args.players, batch):
        with transaction.atomic():
            users = [
                User(
                    username=f"{args.prefix}{n}",
                    email=f"{args.prefix}{n}@faults.invalid",
                    password=password,
                    score_updated_at=now,
                )
                for n in range(start, min(args.players, start + batch))
            ]
            User.objects.bulk_create(users, batch_size=batch)
        for user in users:
            entry = {"id": str(user.pk), "username": user.username}
            if args.tokens:
                entry["token"] = issue_token_pair(user).access
            out.append(entry)
    json.dump({"players": out}, sys.stdout)


def churn(prefix: str, changes: int) -> int:
    """Score changes through the ledger service, each committed and broadcast on its own."""
    from accounts.models import User
    from leaderboard.services import score_history_record

    players = list(User.objects.filter(username__startswith=prefix).order_by("username"))
    for n in range(changes):
        score_history_record(user=players[n % len(players)], increment=100, note="faults churn")
    return changes


def bulk_players(prefix: str, count: int) -> list[dict]:
    from datetime import timedelta

    from django.db import connection, transaction
    from django.utils import timezone

    from accounts.models import User
    from leaderboard.models import ScoreHistory

    then = timezone.now() - timedelta(minutes=5)
    with transaction.atomic():
        # bulk_create: no signals, so no ranking writes for rows that are only templates.
        [proto] = User.objects.bulk_create(
            [User(username=f"{prefix}proto", email="proto@faults.invalid", score=1, score_updated_at=then)]
        )
        [entry] = ScoreHistory.objects.bulk_create(
            [
                ScoreHistory(
                    user=proto,
                    action_type="COMPLETE_LEVEL",
                    increment=1,
                    previous_score=0,
                    new_score=1,
                    created_at=then,
                    note="faults seed",
                )
            ]
        )
        user_cols = [f.column for f in User._meta.concrete_fields]
        players = {
            "id": "gen_random_uuid()",
            "username": "%(prefix)s || n",
            "email": "%(prefix)s || n || '@faults.invalid'",
            "score": "((n * 7919) %% 10000) * 10",
        }
        history_cols = [f.column for f in ScoreHistory._meta.concrete_fields if f.column != "id"]
        rows = {
            "user_id": "u.id",
            "increment": "u.score",
            "new_score": "u.score",
            "previous_score": "0",
            "action_id": "NULL",
        }
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {User._meta.db_table} ({', '.join(user_cols)}) "
                f"SELECT {', '.join(players.get(c, 'p.' + c) for c in user_cols)} "
                f"FROM {User._meta.db_table} p, generate_series(0, %(last)s) n WHERE p.id = %(proto)s",
                {"prefix": prefix, "last": count - 1, "proto": proto.pk},
            )
            cursor.execute(
                f"INSERT INTO {ScoreHistory._meta.db_table} ({', '.join(history_cols)}) "
                f"SELECT {', '.join(rows.get(c, 'p.' + c) for c in history_cols)} "
                f"FROM {ScoreHistory._meta.db_table} p, {User._meta.db_table} u "
                f"WHERE p.id = %(entry)s AND u.username LIKE %(like)s AND u.score > 0 AND u.id <> %(proto)s",
                {"entry": entry.pk, "like": f"{prefix}%", "proto": proto.pk},
            )
        ScoreHistory.objects.filter(pk=entry.pk).delete()
        User.objects.filter(pk=proto.pk).delete()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return [
        {"id": str(uid), "username": name}
        for uid, name in User.objects.filter(username__startswith=prefix).values_list("id", "username")[:10]
    ]


if __name__ == "__main__":
    main()
