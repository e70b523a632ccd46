"""HTTP through Django's WSGI handler on a persistent thread pool, inside the ASGI server.

Django's ASGI handler runs every request in a new ``ThreadSensitiveContext``: a new
thread and executor per request and several sync <-> async hops through the (sync)
middleware stack. Measured on this project (docs/benchmarks.md) that plumbing cost more
CPU than the views. This adapter hands each plain HTTP request, body already read, to
Django's WSGI handler on one of a fixed set of threads, and sends the buffered response:
one hop there and one back per request. As a WSGI server does, the response is sent before
it is closed: ``request_finished`` and the work deferred to it (``after_response``) run
after the client has its answer, and the request's thread waits for the send first.

Streaming paths (the SSE stream, an async view) keep going through Django's ASGI handler,
and so does any request whose type is not ``http``. Response bodies are buffered, which
suits this API (JSON bodies and small static files); nothing here streams.
"""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
SEND_TIMEOUT_S = 30  # the loop writes a response to its transport's buffer: never near this


def _environ(scope: Scope, body: bytes) -> dict[str, Any]:
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    path = scope["path"]
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": root.encode().decode("latin-1"),
        "PATH_INFO": path.encode().decode("latin-1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] if server[1] is not None else 80),
        "REMOTE_ADDR": client[0],
        "REMOTE_PORT": str(client[1]),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        value = raw_value.decode("latin-1")
        key = name if name in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{name}"
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    # What this project's outer ASGI wrappers note on the scope (the arrival stamp that
    # times completions, actions/clock.py) travels on with the request.
    environ.update({key: value for key, value in scope.items() if key.startswith("scoreboard.")})
    if "CONTENT_LENGTH" not in environ and body:  # chunked upload: the length we buffered
        environ["CONTENT_LENGTH"] = str(len(body))
    return environ


Response = tuple[int, list[tuple[bytes, bytes]], bytes]


def _call(app: WsgiApp, environ: dict[str, Any], respond: Callable[[Response], None]) -> None:
    """Run the WSGI app to completion on a pool thread, ``respond`` with (status, headers,
    body), then close the result: ``request_finished`` comes after the client has the answer,
    as a WSGI server does it, with the work deferred to it (``after_response``)."""
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable:
        started[:] = [status, headers]
        return lambda _data: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
        status, headers = started
        encoded = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        respond((int(status.split(" ", 1)[0]), encoded, body))
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()  # request_finished: deferred work, then database connections back to the pool


class WsgiInAsgi:
    """ASGI app: plain HTTP -> ``wsgi_app`` on ``threads`` persistent threads; the rest -> ``asgi_app``."""

    def __init__(
        self,
        wsgi_app: WsgiApp,
        asgi_app: AsgiApp,
        *,
        streaming: tuple[str, ...],
        max_body: int,
        threads: int | None = None,
    ) -> None:
        self.wsgi_app = wsgi_app
        self.asgi_app = asgi_app
        self.streaming = streaming
        self.max_body = max_body
        count = threads or settings.WSGI_THREADS
        self.executor = ThreadPoolExecutor(max_workers=count, thread_name_prefix="wsgi")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.streaming):
            await self.asgi_app(scope, receive, send)
            return
        body = await self._read_body(receive)
        if body is None:
            return  # the client went away
        loop = asyncio.get_running_loop()

        async def send_response(response: Response) -> None:
            status, headers, content = response
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": content})

        def respond(response: Response) -> None:  # on the pool thread: sent by the loop, waited for
            asyncio.run_coroutine_threadsafe(send_response(response), loop).result(SEND_TIMEOUT_S)

        await loop.run_in_executor(self.executor, _call, self.wsgi_app, _environ(scope, body), respond)

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The body, or its first ``max_body + 1`` bytes (enough for the 413 middleware)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            if size <= self.max_body:
                chunks.append(chunk)
                size += len(chunk)
            if not message.get("more_body", False):
                break
            if size > self.max_body:
                break  # over the limit: stop reading, the answer is 413
        return b"".join(chunks)[: self.max_body + 1]
