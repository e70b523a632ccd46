from django.urls import path

from .consumers import LeaderboardConsumer
from .dialects import LIVE, SCOREBOARD

websocket_urlpatterns: list = [
    path("ws/leaderboard/live", LeaderboardConsumer.as_asgi(dialect=LIVE)),
    path("ws/scoreboard", LeaderboardConsumer.as_asgi(dialect=SCOREBOARD)),
]
