from django.apps import AppConfig


class ScoreboardProjectConfig(AppConfig):
    name = "scoreboard_project"
    verbose_name = "Scoreboard"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the start-up checks
