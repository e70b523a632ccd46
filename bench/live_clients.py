"""WebSocket clients of ``/ws/leaderboard/live`` in a child process (asyncio + websockets).

The parent starts ``worker`` with one end of a Pipe. The worker opens its sockets, spread
round-robin over the given servers, and answers ``("ready", info)``; it then records
the ``perf_counter()`` time of every ``leaderboard:update`` frame (CLOCK_MONOTONIC, the
same clock in every process of the machine) until the parent sends ``"stop"``, and
answers ``("result", info)``. Frames are only timestamped while receiving; they are
parsed after the stop, so parsing does not delay the next socket's timestamp.
"""

from __future__ import annotations

import asyncio
import json
import re
import resource
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any, Protocol, TypeVar

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

PATH = "/ws/leaderboard/live"
UPDATE = '"leaderboard:update"'
PING = '"event":"ping"'
SEQ = re.compile(r'"seq":\s*(\d+)')
MAX_LIFETIME_S = 600  # a worker never outlives a lost parent by much


@dataclass
class Socket:
    server: str
    frames: list[tuple[float, float, str]] = field(default_factory=list)  # perf_counter, time(), frame
    close_code: int | None = None
    error: str | None = None


async def _answer_ping(ws: ClientConnection, frame: str) -> None:
    """The server pings idle sockets (WS_HEARTBEAT_INTERVAL) and drops those that stay silent."""
    try:
        timestamp = json.loads(frame).get("timestamp")
    except ValueError:
        timestamp = None
    await ws.send(json.dumps({"event": "pong", "timestamp": timestamp}))


async def _listen(ws: ClientConnection, sock: Socket) -> None:
    async for frame in ws:
        if isinstance(frame, bytes):
            frame = frame.decode()
        head = frame[:48]
        if UPDATE in head:
            sock.frames.append((time.perf_counter(), time.time(), frame))
        elif PING in head.replace(" ", ""):
            await _answer_ping(ws, frame)


async def _run_socket(url: str, sock: Socket, ready: asyncio.Event) -> None:
    try:
        async with connect(url, max_queue=None, ping_interval=None, open_timeout=30) as ws:
            await asyncio.wait_for(ws.recv(), 30)  # leaderboard:initial
            ready.set()
            await _listen(ws, sock)
            sock.close_code = ws.close_code
    except ConnectionClosed as closed:
        sock.close_code = closed.rcvd.code if closed.rcvd else None
    except Exception as error:  # noqa: BLE001 - reported, never raised: one socket must not stop the rest
        sock.error = f"{type(error).__name__}: {error}"
    finally:
        ready.set()


T = TypeVar("T")


async def open_paced(
    servers: list[tuple[str, str]],
    count: int,
    rate: float,
    start: Callable[[str, Socket, asyncio.Event], Coroutine[Any, Any, T]],
) -> tuple[list[Socket], list[asyncio.Task[T]]]:
    """``count`` sockets, ``start(base URL, socket, ready)`` each, at ``rate`` per second,
    round-robin over ``servers``; returns once every one has set its ``ready``."""
    sockets: list[Socket] = []
    tasks: list[asyncio.Task[T]] = []
    readies = []
    started = time.perf_counter()
    for index in range(count):
        delay = started + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        name, base = servers[index % len(servers)]
        sock, ready = Socket(server=name), asyncio.Event()
        sockets.append(sock)
        tasks.append(asyncio.create_task(start(base, sock, ready)))
        readies.append(ready)
    await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), 60)
    return sockets, tasks


def _boards_and_receipts(
    sockets: list[Socket],
) -> tuple[dict[int, dict[str, Any]], list[dict[int, list[float]]]]:
    """Per socket ``{seq: [perf_counter, time()] of its first receipt}``; per seq its top 10
    as ``[userId, score]`` and its ``updatedAt`` (stamped by the server after the commit)."""
    boards: dict[int, dict[str, Any]] = {}
    receipts: list[dict[int, list[float]]] = []
    for sock in sockets:
        mine: dict[int, list[float]] = {}
        for at, wall, frame in sock.frames:
            match = SEQ.search(frame)
            if match is None:
                continue
            seq = int(match.group(1))
            mine.setdefault(seq, [at, wall])
            if seq not in boards:
                data = json.loads(frame)["data"]
                boards[seq] = {
                    "entries": [[e["userId"], e["score"]] for e in data["leaderboard"]],
                    "updatedAt": data.get("updatedAt"),
                }
        receipts.append(mine)
    return boards, receipts


async def _wait_for_stop(conn: Connection) -> None:
    deadline = time.monotonic() + MAX_LIFETIME_S
    while time.monotonic() < deadline:
        if await asyncio.to_thread(conn.poll, 0.5):
            try:
                if conn.recv() == "stop":
                    return
            except EOFError:
                return


class Opened(Protocol):
    """What an opener returns: every socket, and how to end them (the count still open)."""

    sockets: list[Socket]

    async def stop(self) -> int: ...


@dataclass
class _Tasks:
    sockets: list[Socket]
    tasks: list[asyncio.Task[None]]

    async def stop(self) -> int:
        still_open = sum(not task.done() for task in self.tasks)
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        return still_open


async def open_with_websockets(servers: list[tuple[str, str]], count: int, rate: float) -> Opened:
    sockets, tasks = await open_paced(
        servers, count, rate, lambda base, sock, ready: _run_socket(f"{base}{PATH}", sock, ready)
    )
    return _Tasks(sockets, tasks)


async def _main(
    conn: Connection,
    servers: list[tuple[str, str]],
    count: int,
    rate: float,
    open_all: Callable[[list[tuple[str, str]], int, float], Awaitable[Opened]],
) -> None:
    started = time.perf_counter()
    try:
        opened = await open_all(servers, count, rate)
    except TimeoutError:
        conn.send(("ready", {"opened": 0, "error": "sockets did not open within 60 s per batch"}))
        return
    sockets = opened.sockets
    failed = [s for s in sockets if s.error or s.close_code is not None]
    conn.send(
        (
            "ready",
            {
                "opened": len(sockets) - len(failed),
                "failed": len(failed),
                "seconds": round(time.perf_counter() - started, 2),
                "errors": Counter(s.error for s in failed if s.error),
            },
        )
    )
    await _wait_for_stop(conn)
    still_open = await opened.stop()
    boards, receipts = _boards_and_receipts(sockets)
    conn.send(
        (
            "result",
            {
                "servers": [s.server for s in sockets],
                "receipts": receipts,
                "boards": boards,
                "still_open": still_open,
                "close_codes": Counter(s.close_code for s in sockets if s.close_code is not None),
                "errors": Counter(s.error for s in sockets if s.error),
            },
        )
    )


def worker(
    conn: Connection,
    servers: list[tuple[str, str]],
    count: int,
    rate: float = 1000.0,
    open_all: Callable[[list[tuple[str, str]], int, float], Awaitable[Opened]] = open_with_websockets,
) -> None:
    """Entry point of the child process: ``servers`` is ``[(name, ws base URL), ...]``; ``open_all``
    opens the sockets (``raw_live_clients.open_raw`` is the lean client)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, count * 2 + 256)), hard))
    try:
        asyncio.run(_main(conn, servers, count, rate, open_all))
    except KeyboardInterrupt:
        pass
    finally:
        conn.close()
