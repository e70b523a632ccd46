from django.apps import AppConfig


class LeaderboardConfig(AppConfig):
    name = "leaderboard"

    def ready(self) -> None:
        from accounts.ranks import register_rank_provider

        from . import ranking, receivers  # noqa: F401 - connects the signal receivers
        from .boards import live as board_live
        from .broadcast import broadcaster, hub

        register_rank_provider(lambda user: ranking.rank_for_score(user, user.score))
        hub.use_snapshot_sources(
            global_state=broadcaster.current_state,
            board_state=board_live.current_state,
            boards_newer=board_live.newer_states,
        )

        from scoreboard_project import metrics

        from .models import ScoreHistory

        metrics.expose_labels(metrics.score_updates, "kind", ScoreHistory.Kind.values)
