from django.apps import AppConfig


class AnticheatConfig(AppConfig):
    name = "anticheat"

    def ready(self) -> None:
        from scoreboard_project import metrics

        from .models import Flag

        metrics.expose_labels(metrics.anti_cheat_flags, "reason", Flag.Reason.values)
