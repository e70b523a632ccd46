"""ASGI entry point: HTTP (Django) and the two WebSocket paths behind origin validation and JWT.

Plain HTTP goes to Django's WSGI handler on a persistent thread pool (``serving``), the
SSE stream to Django's ASGI handler; ``HTTP_HANDLER=asgi`` sends all HTTP to the latter
(the shape before, kept for comparison in the benchmarks). In front of both, the common
anonymous ``GET /leaderboard`` is answered on the event loop from the held response
(``leaderboard.fast_read``); ``LEADERBOARD_FAST_READS=false`` turns that off (to compare).
"""

import gc
import os

from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scoreboard_project.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from actions.clock import stamp_arrival  # noqa: E402
from leaderboard.fast_read import FastLeaderboardRead  # noqa: E402
from leaderboard.routing import websocket_urlpatterns  # noqa: E402
from leaderboard.ws_auth import JwtAuthMiddleware, OriginValidator  # noqa: E402
from scoreboard_project.body_limit import BodyLimitApp  # noqa: E402
from scoreboard_project.daphne_compat import patch_daphne  # noqa: E402
from scoreboard_project.env import env_bool  # noqa: E402
from scoreboard_project.serving import WsgiInAsgi  # noqa: E402

patch_daphne()


def _http_app():
    from django.conf import settings

    if settings.HTTP_HANDLER == "asgi":
        return django_asgi_app
    return WsgiInAsgi(
        get_wsgi_application(),
        django_asgi_app,
        streaming=("/api/v1/leaderboard/stream",),
        max_body=settings.MAX_BODY_BYTES,
    )


http_app = _http_app()
front_app = FastLeaderboardRead(http_app) if env_bool("LEADERBOARD_FAST_READS", True) else http_app
application = ProtocolTypeRouter(
    {
        # completions are timed from their arrival, before anything else reads the request
        "http": stamp_arrival(BodyLimitApp(front_app)),
        "websocket": OriginValidator(JwtAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)


def _freeze_startup_objects() -> None:
    """What start-up built (Django, every app, the URL conf and its views) lives as long as
    the process: moved out of the collector's reach, so a full collection walks only what
    requests and sockets create since. A page of 1,000 records' worst collector pause went
    from 86-91 to 10 ms (docs/benchmarks.md, eighth session)."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view now, before the freeze
    gc.collect()
    gc.freeze()


_freeze_startup_objects()
