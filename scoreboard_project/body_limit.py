"""Bodies over 64 KiB are refused before they are read (docs/api.md: 413 PAYLOAD_TOO_LARGE).

Django's ASGI handler reads the whole body into a file before any middleware runs, and
daphne (twisted) buffers it all before it even calls the application, so a 413 from a
Django middleware comes after a 30 MiB upload. Two guards sit below Django instead:

- ``BodyLimitApp`` (any ASGI server): a declared ``Content-Length`` over the limit is
  answered at once without receiving; a streamed (chunked) body is buffered up to the
  limit only and answered 413 the moment it passes it.
- ``daphne_compat.refuse_large_bodies`` (daphne): the same inside twisted, which would
  otherwise read the body before the application runs.

``middleware.BodySizeLimitMiddleware`` stays as the last line for other entry points.
"""

from __future__ import annotations

import json

from django.conf import settings

from .errors import PayloadTooLarge

TOO_LARGE_BODY = json.dumps(
    {
        "success": False,
        "error": {"code": PayloadTooLarge.code, "message": PayloadTooLarge.message},
    }
).encode()


def too_large_response_bytes() -> bytes:
    """The whole HTTP/1.1 response, for servers that answer below ASGI (daphne)."""
    head = (
        "HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(TOO_LARGE_BODY)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + TOO_LARGE_BODY


def declared_length(headers) -> int | None:
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def send_too_large(send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(TOO_LARGE_BODY)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": TOO_LARGE_BODY})


class BodyLimitApp:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = settings.MAX_BODY_BYTES
        declared = declared_length(scope.get("headers", []))
        if declared is not None and declared > limit:
            await send_too_large(send)
            return
        messages, size = [], 0
        while True:  # at most the limit is buffered here
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit:
                await send_too_large(send)
                return
            if not message.get("more_body", False):
                break

        async def replay():
            if messages:
                return messages.pop(0)
            return await receive()

        await self.app(scope, replay, send)
