"""A small HTTP/1.1 load generator on raw asyncio streams (keep-alive, Content-Length or chunked).

httpx costs about a millisecond of client CPU per request, which on a 2-core machine
shared with the servers is too much to measure a few hundred requests per second. This
client costs a few tens of microseconds. Two modes:

- ``closed_loop``: ``connections`` clients each send the next request as soon as the
  previous answer arrived, for ``seconds``: the ceiling.
- ``open_loop``: requests scheduled at a constant ``rate`` for ``seconds``; latency is
  measured from the scheduled time (no coordinated omission), so a server that falls
  behind shows it in the percentiles. At most ``max_connections`` are opened.

Every loop is bounded in time; a request that takes longer than ``timeout`` counts as
an error ``timeout``.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

RequestFactory = Callable[[int], bytes]


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)  # ms, answered requests
    statuses: Counter[str] = field(default_factory=Counter)
    wall: float = 0.0
    offered: int = 0

    @property
    def ok(self) -> int:
        return sum(n for s, n in self.statuses.items() if s.startswith("2"))

    @property
    def errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if not s.startswith("2"))


def get(path: str, host: str, headers: dict[str, str] | None = None) -> bytes:
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode()


def post(path: str, host: str, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{extra}\r\n"
    )
    return head.encode() + body


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        # False once a response said ``Connection: close`` (nginx does after
        # ``keepalive_requests`` requests): the next request needs a new connection.
        self.reusable = True

    @classmethod
    async def open(cls, host: str, port: int) -> Connection:
        reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
        return cls(reader, writer)

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length, chunked = None, False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
            elif name == "connection" and "close" in value.lower():
                self.reusable = False
        if chunked:
            body = bytearray()
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                body += await self.reader.readexactly(size + 2)
                if size == 0:
                    return status, bytes(body)
        return status, await self.reader.readexactly(length or 0)

    def close(self) -> None:
        self.writer.close()


async def _one(
    conn: Connection | None, host: str, port: int, request: bytes, timeout: float
) -> tuple[Connection | None, str]:
    try:
        if conn is None:
            conn = await asyncio.wait_for(Connection.open(host, port), timeout)
        status, _ = await asyncio.wait_for(conn.exchange(request), timeout)
        if not conn.reusable:
            conn.close()
            return None, str(status)
        return conn, str(status)
    except TimeoutError:
        kind = "timeout"
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as error:
        kind = type(error).__name__
    if conn is not None:
        conn.close()
    return None, kind


async def closed_loop(
    host: str, port: int, make: RequestFactory, *, connections: int, seconds: float, timeout: float = 10.0
) -> Result:
    result = Result()
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))

    async def client() -> None:
        conn: Connection | None = None
        while time.perf_counter() < deadline:
            index = next(counter)
            started = time.perf_counter()
            conn, status = await _one(conn, host, port, make(index), timeout)
            result.latencies.append((time.perf_counter() - started) * 1000)
            result.statuses[status] += 1
        if conn is not None:
            conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(connections)))
    result.wall = time.perf_counter() - started
    result.offered = len(result.latencies)
    return result


async def open_loop(
    host: str,
    port: int,
    make: RequestFactory,
    *,
    rate: float,
    seconds: float,
    max_connections: int = 256,
    timeout: float = 10.0,
) -> Result:
    result = Result()
    idle: list[Connection] = []
    gate = asyncio.Semaphore(max_connections)
    total = int(rate * seconds)

    async def fire(index: int, due: float) -> None:
        async with gate:
            conn = idle.pop() if idle else None
            conn, status = await _one(conn, host, port, make(index), timeout)
            result.latencies.append((time.perf_counter() - due) * 1000)
            result.statuses[status] += 1
            if conn is not None:
                idle.append(conn)

    started = time.perf_counter()
    tasks = []
    for index in range(total):
        due = started + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(fire(index, due)))
    await asyncio.gather(*tasks)
    result.wall = time.perf_counter() - started
    result.offered = total
    for conn in idle:
        conn.close()
    return result


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(len(ordered) * q / 100) - 1)], 1)


def summary(values: list[float]) -> dict[str, object]:
    """How many, and their p50/p95/p99."""
    return {"n": len(values), **{f"p{q}": percentile(values, q) for q in (50, 95, 99)}}


def describe(result: Result) -> dict[str, object]:
    lat = result.latencies
    return {
        "offered": result.offered,
        "ok": result.ok,
        "errors": result.errors,
        "rate": round(result.ok / result.wall, 1) if result.wall else None,
        "p50": percentile(lat, 50),
        "p95": percentile(lat, 95),
        "p99": percentile(lat, 99),
        "statuses": dict(result.statuses),
    }
