"""Helpers for consumer tests on the real ASGI application."""

from __future__ import annotations

import asyncio
import json

from channels.testing import WebsocketCommunicator

from scoreboard_project.asgi import application


async def open_socket(path: str, *, headers: list[tuple[bytes, bytes]] | None = None):
    communicator = WebsocketCommunicator(application, path, headers=headers or [])
    connected, code = await communicator.connect(timeout=3)
    return communicator, connected, code


async def next_json(communicator, timeout: float = 2) -> dict:
    return json.loads(await communicator.receive_from(timeout=timeout))


async def wait_for_json(communicator, predicate, timeout: float = 3) -> dict:
    """The first message matching ``predicate`` (earlier ones are skipped)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        message = await next_json(communicator, timeout=max(0.05, deadline - loop.time()))
        if predicate(message):
            return message


async def close_code(communicator, timeout: float = 3) -> int:
    """Skip any frames until the server closes; the close code."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        output = await communicator.receive_output(timeout=max(0.05, deadline - loop.time()))
        if output["type"] == "websocket.close":
            return output.get("code", 1000)
