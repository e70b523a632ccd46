"""Many live-leaderboard sockets in one asyncio loop, each remembering the newest top 10
it was shown (by ``seq``) and when."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed


class Watchers:
    def __init__(self) -> None:
        self.boards: dict[int, list[tuple[str, int]]] = {}
        self.seqs: dict[int, int] = {}
        self.shown_at: dict[int, float] = {}
        self.closed: dict[int, int | None] = {}
        self.tasks: list[asyncio.Task] = []

    async def open(self, urls: list[str], count: int, *, concurrency: int = 50, timeout: float = 60) -> None:
        """``count`` sockets spread over ``urls``; returns once each has its initial board."""
        gate = asyncio.Semaphore(concurrency)
        opened = [asyncio.get_running_loop().create_future() for _ in range(count)]
        for index in range(count):
            self.tasks.append(
                asyncio.create_task(self._watch(index, urls[index % len(urls)], gate, opened[index]))
            )
        async with asyncio.timeout(timeout):
            await asyncio.gather(*opened)

    async def _watch(self, index: int, url: str, gate: asyncio.Semaphore, opened: asyncio.Future) -> None:
        try:
            async with gate:
                socket = await connect(url, open_timeout=30, max_queue=None)
                self._show(index, json.loads(await socket.recv())["data"])
            opened.set_result(None)
            async with socket:
                async for raw in socket:
                    message = json.loads(raw)
                    if message.get("event") == "leaderboard:update":
                        self._show(index, message["data"])
        except ConnectionClosed as closed:
            self.closed[index] = closed.rcvd.code if closed.rcvd else None
        except Exception as exc:  # noqa: BLE001 - reported through the future
            if not opened.done():
                opened.set_exception(exc)
            raise
        finally:
            if not opened.done():
                opened.set_exception(RuntimeError(f"socket {index} closed before its first board"))

    def _show(self, index: int, data: dict) -> None:
        seq = int(data.get("seq", 0))
        if seq >= self.seqs.get(index, -1):
            self.seqs[index] = seq
            self.boards[index] = [(e["userId"], e["score"]) for e in data["leaderboard"]]
            self.shown_at[index] = time.monotonic()

    def showing(self, board: list[tuple[str, int]]) -> int:
        return sum(1 for shown in self.boards.values() if shown == board)

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(BaseException):
                await task
