"""Demo players with believable scores, their ledger spread over the last 40 days."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import User
from accounts.ranks import ranked_players
from leaderboard import ranking_rebuilds, services
from leaderboard.models import ScoreHistory

ACTIONS = [("COMPLETE_LEVEL", 100, 0.7), ("COMPLETE_QUEST", 250, 0.25), ("DEFEAT_BOSS", 500, 0.05)]
ADJECTIVES = [
    "swift",
    "brave",
    "quiet",
    "lucky",
    "clever",
    "wild",
    "iron",
    "silver",
    "shadow",
    "bright",
    "frost",
    "ember",
    "storm",
    "noble",
    "rapid",
    "misty",
]
NOUNS = [
    "fox",
    "wolf",
    "hawk",
    "otter",
    "tiger",
    "raven",
    "lynx",
    "panda",
    "viper",
    "falcon",
    "bear",
    "comet",
    "knight",
    "ranger",
    "wizard",
    "pirate",
]


class Command(BaseCommand):
    help = "Create demo players and scores (ledger rows over the last 40 days)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--players", type=int, default=300)
        parser.add_argument("--if-empty", action="store_true", help="do nothing when any player exists")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, players: int, if_empty: bool, seed: int, **options) -> None:  # noqa: ARG002
        if if_empty and ranked_players().exists():
            self.stdout.write("Players exist already: no demo data added.")
            return
        rng = random.Random(seed)
        now = datetime.now(UTC)
        password = make_password("demo-player-password")  # one hash for all: seeding stays fast
        names = self._names(rng, players)
        with transaction.atomic():
            users = User.objects.bulk_create(
                [User(username=name, email=f"{name}@demo.invalid", password=password) for name in names]
            )
            history: list[ScoreHistory] = []
            for user in users:
                history.extend(self._ledger(rng, user, now))
            services.score_history_import(history, users)
            User.objects.bulk_update(
                users, ["score", "total_actions", "score_updated_at", "last_action_at"], batch_size=1000
            )
        if ranking_rebuilds.redis_store_enabled():
            ranking_rebuilds.rebuild_all()
        self.stdout.write(
            self.style.SUCCESS(f"Seeded {len(users)} demo players and {len(history)} score changes.")
        )

    def _names(self, rng: random.Random, count: int) -> list[str]:
        taken = set(User.objects.values_list("username", flat=True))
        names: list[str] = []
        while len(names) < count:
            name = f"{rng.choice(ADJECTIVES)}_{rng.choice(NOUNS)}{rng.randint(1, 999)}"
            if name not in taken:
                taken.add(name)
                names.append(name)
        return names

    def _ledger(self, rng: random.Random, user: User, now: datetime) -> list[ScoreHistory]:
        """A few to a few dozen actions, more recent ones for the keen players."""
        activity = rng.paretovariate(1.5)
        count = min(60, int(activity * 3))
        # Spread over ~40 days, denser lately, so today, this week and this month differ.
        moments = sorted(now - timedelta(seconds=60 + 40 * 86400 * rng.random() ** 1.3) for _ in range(count))
        rows, score = [], 0
        for moment in moments:
            action_type, points = self._pick(rng)
            rows.append(
                ScoreHistory(
                    user=user,
                    action_type=action_type,
                    increment=points,
                    previous_score=score,
                    new_score=score + points,
                    created_at=moment,
                    completion_time_ms=rng.randint(5000, 120000),
                    reference=f"demo-{rng.getrandbits(48):x}",
                    note="seed_demo",
                )
            )
            score += points
        user.score, user.total_actions = score, len(rows)
        user.score_updated_at = moments[-1] if moments else user.date_joined
        user.last_action_at = moments[-1] if moments else None
        return rows

    def _pick(self, rng: random.Random) -> tuple[str, int]:
        roll, total = rng.random(), 0.0
        for action_type, points, weight in ACTIONS:
            total += weight
            if roll <= total:
                return action_type, points
        return ACTIONS[0][:2]
