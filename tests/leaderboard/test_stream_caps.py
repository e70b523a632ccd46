"""Socket and stream caps hold for as long as the connections live (docs/api.md, "Limits")."""

from __future__ import annotations

import asyncio

import pytest
from channels.testing import WebsocketCommunicator

from accounts.tokens import issue_token_pair
from scoreboard_project.asgi import application
from scoreboard_project.redis_client import get_redis, redis_key
from tests.helpers.sockets import close_code, next_json
from tests.helpers.sse import Stream
from tests.helpers.stores import production_shape

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_hub")]
LIVE = "/ws/leaderboard/live"


async def socket_from(ip: str, headers=None) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, LIVE, headers=headers or [])
    communicator.scope["client"] = (ip, 5000)
    connected, _ = await communicator.connect(timeout=3)
    assert connected
    return communicator


@pytest.fixture
def token(alice) -> str:
    return issue_token_pair(alice).access


async def test_it_keeps_a_users_open_sockets_counted_while_they_live(alice, token, settings):
    """The old open set expired a while after the last acquire although its sockets stayed
    open; now every heartbeat renews the lease, so the cap holds many lease lengths later."""
    settings.WS_MAX_CONNECTIONS_PER_USER = 1
    settings.WS_HEARTBEAT_INTERVAL = 200  # leases of 600 ms, renewed every 100 ms
    headers = [(b"authorization", f"Bearer {token}".encode())]
    first = await socket_from("192.0.2.1", headers)
    await next_json(first)

    await asyncio.sleep(2.0)  # over three lease lengths
    if production_shape():
        ttl = get_redis().pttl(redis_key("ws", "open", f"user:{alice.pk}"))
        assert 0 < ttl <= 600
    second = await socket_from("192.0.2.1", headers)

    assert await close_code(second) == 4429
    await second.disconnect()
    await first.disconnect()
    third = await socket_from("192.0.2.1", headers)  # freed when the first closed
    assert (await next_json(third))["event"] == "leaderboard:initial"
    await third.disconnect()


async def test_it_caps_anonymous_sockets_and_streams_per_client_ip(db, settings):
    settings.WS_MAX_ANONYMOUS_PER_IP = 2
    first, second = await socket_from("198.51.100.7"), await socket_from("198.51.100.7")
    await next_json(first), await next_json(second)

    third = await socket_from("198.51.100.7")
    assert await close_code(third) == 4429
    stream = Stream()  # 127.0.0.1: its own allowance
    assert (await stream.start())["status"] == 200
    await stream.close()
    other = await socket_from("198.51.100.8")  # another address is not affected
    assert (await next_json(other))["event"] == "leaderboard:initial"

    await first.disconnect()
    fourth = await socket_from("198.51.100.7")  # a slot came free
    assert (await next_json(fourth))["event"] == "leaderboard:initial"
    for socket in (second, third, other, fourth):
        await socket.disconnect()


async def test_it_answers_429_to_a_stream_past_the_ip_cap(db, settings):
    settings.WS_MAX_ANONYMOUS_PER_IP = 1
    socket = await socket_from("127.0.0.1")  # the Stream helper's address
    await next_json(socket)

    stream = Stream()
    start = await stream.start()
    body = await stream.body()

    assert start["status"] == 429
    assert (b"Retry-After", b"15") in start["headers"]
    assert '"code": "RATE_LIMIT_EXCEEDED"' in body or '"code":"RATE_LIMIT_EXCEEDED"' in body
    await socket.disconnect()
    await asyncio.wait_for(stream.task, 3)
    again = Stream()
    assert (await again.start())["status"] == 200
    await again.close()


async def test_it_moves_a_socket_that_signs_in_from_its_ip_to_its_account(token, settings):
    settings.WS_MAX_ANONYMOUS_PER_IP = 1
    socket = await socket_from("203.0.113.5")
    await next_json(socket)
    await socket.send_json_to({"type": "auth", "token": token})
    await asyncio.sleep(0.3)

    anonymous = await socket_from("203.0.113.5")  # the address's one slot is free again

    assert (await next_json(anonymous))["event"] == "leaderboard:initial"
    await anonymous.disconnect()
    await socket.disconnect()
