from django.apps import AppConfig


class AnticheatConfig(AppConfig):
    name = "anticheat"
