"""ASGI entry point: HTTP (Django) and the two WebSocket paths behind origin validation and JWT."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scoreboard_project.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from actions.clock import stamp_arrival  # noqa: E402
from leaderboard.routing import websocket_urlpatterns  # noqa: E402
from leaderboard.ws_auth import JwtAuthMiddleware, OriginValidator  # noqa: E402
from scoreboard_project.body_limit import BodyLimitApp  # noqa: E402
from scoreboard_project.daphne_compat import patch_daphne  # noqa: E402

patch_daphne()

application = ProtocolTypeRouter(
    {
        # completions are timed from their arrival, before anything else reads the request
        "http": stamp_arrival(BodyLimitApp(django_asgi_app)),
        "websocket": OriginValidator(JwtAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)
