"""One pipelined asyncio connection to Redis per event loop, for the hottest call.

redis-py's asyncio client costs about 140 µs of CPU per command here (a pool checkout,
a health check, retries, a lock) and opens a connection per concurrent command; its
blocking client costs 60 µs but would stall the event loop for every round trip. This
is the minimum instead: commands written on one connection as they come, replies
matched to callers in order (Redis answers in order), nothing else. A dropped
connection fails the callers waiting on it (they fall back to their slow path) and is
reopened by the next call; a reply later than ``TIMEOUT_S`` drops the connection.

Only ``redis://`` URLs (TCP, optional password and database number).
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import time
import weakref
from typing import cast
from urllib.parse import unquote, urlparse

from redis.exceptions import ResponseError

TIMEOUT_S = 2.0


class RedisReplyError(ResponseError):
    """Redis answered ``-ERR ...`` (the message is the text after the dash); a RedisError,
    like redis-py's, so the callers' handlers of Redis failures catch it."""


def encode(*args: bytes | str | int) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


def parse(buffer: bytes, at: int = 0):
    """(reply, next offset), or None when ``buffer`` does not hold a whole reply yet."""
    end = buffer.find(b"\r\n", at)
    if end < 0:
        return None
    kind, line = buffer[at : at + 1], buffer[at + 1 : end]
    if kind == b":":
        return int(line), end + 2
    if kind == b"+":
        return line.decode(), end + 2
    if kind == b"-":
        return RedisReplyError(line.decode("utf-8", "replace")), end + 2
    if kind == b"$":
        size = int(line)
        if size < 0:
            return None, end + 2
        if len(buffer) < end + 2 + size + 2:
            return None
        return buffer[end + 2 : end + 2 + size].decode("utf-8", "replace"), end + 4 + size
    if kind == b"*":
        count, items, at = int(line), [], end + 2
        for _ in range(max(count, 0)):
            found = parse(buffer, at)
            if found is None:
                return None
            item, at = found
            items.append(item)
        return (items if count >= 0 else None), at
    raise ConnectionError(f"unexpected reply from Redis: {buffer[at : at + 20]!r}")


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiting: collections.deque[tuple[asyncio.Future, float]] = collections.deque()
        self.buffer = b""
        self.lost: Exception | None = None
        self.watchdog: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        at = 0
        try:
            while self.waiting and (found := parse(self.buffer, at)) is not None:
                reply, at = found
                future, _ = self.waiting.popleft()
                if not future.done():
                    if isinstance(reply, RedisReplyError):
                        future.set_exception(reply)
                    else:
                        future.set_result(reply)
        except (ValueError, ConnectionError) as exc:
            self.fail(ConnectionError(f"Redis reply not understood: {exc}"))
            return
        self.buffer = self.buffer[at:]

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(exc or ConnectionError("Redis closed the connection"))

    def fail(self, exc: Exception) -> None:
        self.lost = self.lost or exc
        while self.waiting:
            future, _ = self.waiting.popleft()
            if not future.done():
                future.set_exception(ConnectionError(str(exc)))
        if self.transport is not None:
            self.transport.abort()


def _check(protocol: _Protocol) -> None:
    """Drop a connection whose oldest caller waited past TIMEOUT_S (Redis stuck)."""
    protocol.watchdog = None
    if not protocol.waiting:
        return
    if time.monotonic() - protocol.waiting[0][1] > TIMEOUT_S:
        protocol.fail(TimeoutError("Redis did not answer in time"))
        return
    protocol.watchdog = asyncio.get_running_loop().call_later(TIMEOUT_S / 2, _check, protocol)


class RedisPipe:
    """``await pipe.call("EVALSHA", sha, ...)``: one command, its reply (errors raised)."""

    def __init__(self, url: str) -> None:
        parsed = urlparse(url)
        if parsed.scheme != "redis":
            raise ValueError("RedisPipe speaks redis:// only")
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 6379
        self.password = unquote(parsed.password) if parsed.password else None
        self.username = unquote(parsed.username) if parsed.username else None
        self.url, self.db = url, int((parsed.path or "/0").strip("/") or 0)
        self._protocol: _Protocol | None = None
        self._connecting: asyncio.Future | None = None

    async def _connected(self) -> _Protocol:
        protocol = self._protocol
        if protocol is not None and protocol.lost is None:
            return protocol
        if self._connecting is None:
            self._connecting = asyncio.ensure_future(self._connect())
        try:
            return await asyncio.shield(self._connecting)
        finally:
            if self._connecting is not None and self._connecting.done():
                self._connecting = None

    async def _connect(self) -> _Protocol:
        loop = asyncio.get_running_loop()
        _, protocol = await asyncio.wait_for(
            loop.create_connection(_Protocol, self.host, self.port), TIMEOUT_S
        )
        self._protocol = protocol
        setup = []
        if self.password is not None:
            setup.append(
                self._send(protocol, "AUTH", *((self.username,) if self.username else ()), self.password)
            )
        if self.db:
            setup.append(self._send(protocol, "SELECT", self.db))
        for reply in setup:
            await reply
        return protocol

    def _send(self, protocol: _Protocol, *args) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        protocol.waiting.append((future, time.monotonic()))
        cast(asyncio.Transport, protocol.transport).write(encode(*args))  # set before _connected() returns
        if protocol.watchdog is None:
            protocol.watchdog = asyncio.get_running_loop().call_later(TIMEOUT_S / 2, _check, protocol)
        return future

    async def call(self, *args):
        protocol = await self._connected()
        return await self._send(protocol, *args)

    def close(self) -> None:
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.transport.close()


_pipes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, RedisPipe] = weakref.WeakKeyDictionary()


def usable(url: str | None) -> bool:
    return url is not None and url.startswith("redis://")


def loop_pipe(url: str) -> RedisPipe:
    """The running event loop's pipe to ``url`` (one per loop: a server process has one)."""
    loop = asyncio.get_running_loop()
    pipe = _pipes.get(loop)
    if pipe is None or pipe.url != url:
        pipe = _pipes[loop] = RedisPipe(url)
    return pipe


class Script:
    """A Lua script run on the loop's pipe: by name (EVALSHA), whole when Redis lacks it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sha = hashlib.sha1(text.encode()).hexdigest()  # noqa: S324 - Redis names scripts so

    async def __call__(self, url: str, keys: list[str], args: list):
        pipe = loop_pipe(url)
        try:
            return await pipe.call("EVALSHA", self.sha, len(keys), *keys, *args)
        except RedisReplyError as exc:
            if not str(exc).startswith("NOSCRIPT"):
                raise
            return await pipe.call("EVAL", self.text, len(keys), *keys, *args)
