from django.apps import AppConfig


class LeaderboardConfig(AppConfig):
    name = "leaderboard"

    def ready(self) -> None:
        from accounts.ranks import register_rank_provider

        from . import ranking, receivers  # noqa: F401 - connects the signal receivers

        register_rank_provider(lambda user: ranking.rank_for_score(user, user.score))

        from scoreboard_project import metrics

        from .models import ScoreHistory

        metrics.expose_labels(metrics.score_updates, "kind", ScoreHistory.Kind.values)
