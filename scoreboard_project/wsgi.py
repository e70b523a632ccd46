"""WSGI entry point (plain HTTP only: the sockets and the SSE stream need ``asgi``).

The production shape serves HTTP through this same WSGI application, inside the ASGI
server (``serving.WsgiInAsgi``); gunicorn can serve it directly, as in the benchmarks.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scoreboard_project.settings")
application = get_wsgi_application()
