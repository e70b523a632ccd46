"""An SSE request to /api/v1/leaderboard/stream driven on the real ASGI application."""

from __future__ import annotations

import asyncio

from scoreboard_project.asgi import application


class Stream:
    def __init__(self, headers: list[tuple[bytes, bytes]] | None = None, *, query: str = "") -> None:
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.outbox: asyncio.Queue = asyncio.Queue()
        scope = {
            "type": "http",
            "http_version": "1.1",
            "method": "GET",
            "path": "/api/v1/leaderboard/stream",
            "raw_path": b"/api/v1/leaderboard/stream",
            "query_string": query.encode(),
            "root_path": "",
            "scheme": "http",
            "headers": [(b"host", b"localhost"), *(headers or [])],
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 80),
        }
        self.inbox.put_nowait({"type": "http.request", "body": b"", "more_body": False})
        self.task = asyncio.create_task(application(scope, self.inbox.get, self.outbox.put))

    async def start(self) -> dict:
        return await asyncio.wait_for(self.outbox.get(), 3)

    async def body(self, timeout: float = 3) -> str:
        message = await asyncio.wait_for(self.outbox.get(), timeout)
        return message.get("body", b"").decode()

    async def close(self) -> None:
        await self.inbox.put({"type": "http.disconnect"})
        await asyncio.wait_for(self.task, 3)
