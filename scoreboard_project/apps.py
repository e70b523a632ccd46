from django.apps import AppConfig


class ScoreboardProjectConfig(AppConfig):
    name = "scoreboard_project"
    verbose_name = "Scoreboard"

    def ready(self) -> None:
        from . import after_response, checks, prepared, schema  # noqa: F401 - registers start-up checks and schema extensions

        after_response.connect()
        prepared.connect()
