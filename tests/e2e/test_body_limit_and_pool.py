"""On a real daphne: bodies over 64 KiB are refused before they are read, and one process
serves a hundred requests on a handful of Redis connections."""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest
import redis
from channels.db import database_sync_to_async as sync_to_async

from accounts.tokens import issue_token_pair
from tests.helpers.child_servers import child_server_env
from tests.helpers.players import make_player
from tests.helpers.servers import Daphne

pytestmark = [pytest.mark.production_shape, pytest.mark.django_db(transaction=True)]
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    daphne = Daphne(child_server_env())
    daphne.start()
    yield daphne
    daphne.stop()


def _response_to(port: int, head: bytes, body_parts, *, timeout: float = 5.0) -> tuple[bytes, int]:
    """Send ``head`` then the parts while the server reads; return (what it answered, bytes sent)."""
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        answer = b""
        deadline = time.monotonic() + timeout
        for part in body_parts:
            if time.monotonic() > deadline:
                break
            try:
                answer += sock.recv(65536)
            except BlockingIOError:
                pass
            except OSError:
                break
            if answer:
                break
            try:
                sent += sock.send(part)
            except BlockingIOError:
                time.sleep(0.01)
            except OSError:
                break
        sock.setblocking(True)
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            while b"\r\n\r\n" not in answer or not answer.endswith(b"}"):
                chunk = sock.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except OSError:
            pass
    return answer, sent


def _envelope_413(answer: bytes) -> None:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), answer[:200]
    assert json.loads(body)["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_it_refuses_a_declared_30_mib_body_without_reading_it(server):
    head = (
        b"POST /api/v1/auth/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % (30 * MIB)
    )
    started = time.monotonic()
    answer, sent = _response_to(server.port, head, [b"{" + b" " * 1023])  # 1 KiB of the 30 MiB
    elapsed = time.monotonic() - started

    _envelope_413(answer)
    assert sent <= 1024 and elapsed < 2.0  # answered on the headers, not after the body


def test_it_stops_reading_a_chunked_body_at_the_limit(server):
    head = (
        b"POST /api/v1/auth/register HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"%x\r\n%s\r\n" % (16384, b" " * 16384)
    started = time.monotonic()
    answer, sent = _response_to(server.port, head, (chunk for _ in range(30 * 64)))  # up to 30 MiB
    elapsed = time.monotonic() - started

    _envelope_413(answer)
    assert sent < 8 * MIB and elapsed < 5.0  # the server stopped at 64 KiB, the client soon after


def test_it_still_takes_a_body_under_the_limit(server):
    body = json.dumps({"username": "x", "password": "y", "pad": "z" * 60_000})
    response = httpx.post(
        f"{server.http}/api/v1/auth/login",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert response.status_code in (400, 401)  # read and judged by the view, not refused for size


async def test_it_serves_a_hundred_requests_on_a_handful_of_redis_connections(server, throwaway_redis):
    """A daphne of its own on a throwaway redis-server: its connection count is exact."""
    alice = await sync_to_async(make_player)("alice")
    token = await sync_to_async(lambda: issue_token_pair(alice).access)()
    env = child_server_env(
        REDIS_URL=throwaway_redis.url,
        RATE_LIMIT_LEADERBOARD_PER_MINUTE="1000",
        RATE_LIMIT_SCORE_PER_MINUTE="1000",
        RATE_LIMIT_REQUESTS_PER_MINUTE="1000",
    )
    daphne = Daphne(env)
    await sync_to_async(daphne.start)()
    try:
        stats = redis.Redis.from_url(throwaway_redis.url)
        await _requests(daphne, token, 10)  # warm: the process's pool, the hub, the channel layer
        before = stats.info("stats")["total_connections_received"]
        statuses = await _requests(daphne, token, 100)
        opened = stats.info("stats")["total_connections_received"] - before
    finally:
        await sync_to_async(daphne.stop)()

    assert all(status in (200, 201) for status in statuses), statuses
    assert opened <= 4, opened


async def _requests(daphne: Daphne, token: str, count: int) -> list[int]:
    headers = {"Authorization": f"Bearer {token}"}
    statuses = []
    async with httpx.AsyncClient(base_url=daphne.http, timeout=5, headers=headers) as client:
        for i in range(count):
            if i % 3 == 0:  # the action type is read through the cache
                response = await client.post("/api/v1/actions/request", json={"actionType": "COMPLETE_LEVEL"})
            else:
                response = await client.get("/api/v1/leaderboard" if i % 3 == 1 else "/api/v1/users/me/score")
            statuses.append(response.status_code)
    return statuses
