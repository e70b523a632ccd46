"""Lean WebSocket clients of ``/ws/leaderboard/live``: asyncio protocols on raw sockets.

The same child-process interface as ``live_clients`` (``worker(conn, servers, count,
rate)``, answering ``("ready", info)`` then ``("result", info)`` in the same shapes), but
each socket is an ``asyncio.Protocol`` that parses RFC 6455 frames itself: a received
chunk costs one ``data_received`` call, a frame header and a slice. The ``websockets``
client spends about 20-40 µs of Python per frame (its reader task, the async iterator,
UTF-8 decoding), so one client process holding 5,000 sockets needed 100-200 ms to read
one update on every socket: the fan-out's measured latency was mostly the client's own.

Each update frame is stamped (``perf_counter()``, ``time()``) when the chunk that
completes it arrives, and decoded only after the stop. Pings (JSON ``ping`` events and
protocol pings) are answered at once, as a real client would.

Why by hand and not the ``websockets`` library's Sans-I/O ``ClientProtocol``: tried, the
same sockets driving it measured worse (10,000 sockets, four runs of it and three of this, two pairs alternating): the
client processes at 42-45 % of a core against 33-34 %, the p50 from commit 278-338 ms
against 180-239 ms. A load generator that costs that much measures itself again. The
framing here is small, and tested against the library's server
(``tests/e2e/test_bench_raw_live_clients.py``).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from urllib.parse import urlsplit

from . import live_clients
from .live_clients import PATH, Opened, Socket

UPDATE = b'"leaderboard:update"'
PING_EVENT = b'"ping"'
TEXT, BINARY, CLOSE, PING, PONG, CONTINUATION = 1, 2, 8, 9, 10, 0


def _masked(opcode: int, payload: bytes) -> bytes:
    """A client frame (clients must mask, RFC 6455 5.3)."""
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        head = bytes([0x80 | opcode, 0x80 | length])
    elif length < 65536:
        head = bytes([0x80 | opcode, 0x80 | 126]) + length.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + length.to_bytes(8, "big")
    repeated = (mask * (length // 4 + 1))[:length]
    body = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(length, "big")
    return head + mask + body


class LiveSocket(asyncio.Protocol):
    """One socket: the upgrade, then frames; ``ready`` is set at the greeting or on failure."""

    def __init__(self, sock: Socket, host: str, path: str, ready: asyncio.Event) -> None:
        self.sock = sock
        self.ready = ready
        self.closed = asyncio.Event()
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = False
        self.greeted = False
        self.fragments: list[bytes] = []
        self.updates: list[tuple[float, float, bytes]] = []  # perf_counter, time(), frame
        key = base64.b64encode(os.urandom(16)).decode()
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        at, wall = time.perf_counter(), time.time()
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self.buffer[: self.buffer.find(b"\r\n")])
            if b" 101 " not in status + b" ":
                self._fail(f"InvalidStatus: {status.decode(errors='replace')}")
                return
            del self.buffer[: end + 4]
            self.upgraded = True
        self._read_frames(at, wall)

    def _read_frames(self, at: float, wall: float) -> None:
        buffer, pos, size = self.buffer, 0, len(self.buffer)
        while size - pos >= 2:
            first, second = buffer[pos], buffer[pos + 1]
            length, head = second & 0x7F, 2
            if length == 126:
                if size - pos < 4:
                    break
                length, head = int.from_bytes(buffer[pos + 2 : pos + 4], "big"), 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, head = int.from_bytes(buffer[pos + 2 : pos + 10], "big"), 10
            if size - pos < head + length:
                break
            payload = bytes(buffer[pos + head : pos + head + length])
            pos += head + length
            self._frame(first & 0x0F, bool(first & 0x80), payload, at, wall)
        del buffer[:pos]

    def _frame(self, opcode: int, final: bool, payload: bytes, at: float, wall: float) -> None:
        if opcode in (TEXT, BINARY, CONTINUATION):
            self.fragments.append(payload)
            if not final:
                return
            message, self.fragments = b"".join(self.fragments), []
            self._message(message, at, wall)
        elif opcode == PING:
            self._send(PONG, payload)
        elif opcode == CLOSE:
            self.sock.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
            self._send(CLOSE, payload[:2])
            if self.transport is not None:
                self.transport.close()

    def _message(self, message: bytes, at: float, wall: float) -> None:
        head = message[:48]
        if UPDATE in head:
            self.updates.append((at, wall, message))  # decoded after the stop
        elif PING_EVENT in head:
            try:
                timestamp = json.loads(message).get("timestamp")
            except ValueError:
                timestamp = None
            self._send(TEXT, json.dumps({"event": "pong", "timestamp": timestamp}).encode())
        elif not self.greeted:
            self.greeted = True  # leaderboard:initial
            self.ready.set()

    def _send(self, opcode: int, payload: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(_masked(opcode, payload))

    def _fail(self, error: str) -> None:
        self.sock.error = error
        self.ready.set()
        if self.transport is not None:
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.greeted and self.sock.error is None and self.sock.close_code is None:
            self.sock.error = (
                f"{type(exc).__name__}: {exc}" if exc else "ConnectionClosed: before the greeting"
            )
        self.ready.set()
        self.closed.set()


async def _connect(base: str, sock: Socket, ready: asyncio.Event) -> LiveSocket | None:
    url = urlsplit(base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    protocol = LiveSocket(sock, url.netloc, f"{url.path.rstrip('/')}{PATH}", ready)
    try:
        await asyncio.wait_for(asyncio.get_running_loop().create_connection(lambda: protocol, host, port), 30)
    except Exception as error:  # noqa: BLE001 - reported, never raised: one socket must not stop the rest
        sock.error = f"{type(error).__name__}: {error}"
        ready.set()
        return None
    return protocol


@dataclass
class _Protocols:
    sockets: list[Socket]
    tasks: list[asyncio.Task[LiveSocket | None]]

    async def stop(self) -> int:
        protocols = [task.result() for task in self.tasks if task.done() and not task.cancelled()]
        still_open = sum(p is not None and not p.closed.is_set() for p in protocols)
        for protocol in protocols:
            if protocol is not None and protocol.transport is not None:
                protocol.transport.abort()
        for protocol in protocols:
            if protocol is not None:
                protocol.sock.frames = [(at, wall, frame.decode()) for at, wall, frame in protocol.updates]
        return still_open


async def open_raw(servers: list[tuple[str, str]], count: int, rate: float) -> Opened:
    """``count`` sockets opened at ``rate`` per second; returns once every one is greeted or failed."""
    return _Protocols(*await live_clients.open_paced(servers, count, rate, _connect))


def worker(conn: Connection, servers: list[tuple[str, str]], count: int, rate: float = 1000.0) -> None:
    """Entry point of the child process (``live_clients.worker`` with these sockets)."""
    live_clients.worker(conn, servers, count, rate, open_raw)
