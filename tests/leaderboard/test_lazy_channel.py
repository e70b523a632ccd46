"""Only signed-in sockets open a channel-layer channel (anonymous ones get the top 10 from the hub)."""

from __future__ import annotations

import pytest
from channels.layers import get_channel_layer

from accounts.tokens import issue_token_pair
from leaderboard.broadcast.hub import get_hub
from tests.helpers.sockets import next_json, open_socket

pytestmark = pytest.mark.django_db(transaction=True)
LIVE = "/ws/leaderboard/live"


@pytest.fixture(autouse=True)
async def _stop_hub():
    yield
    await get_hub().stop()


@pytest.fixture
def opened(monkeypatch) -> list[str]:
    """Every channel the layer opens from now on (the real layer, counted)."""
    layer = get_channel_layer()
    names: list[str] = []
    real = layer.new_channel

    async def counted(*args, **kwargs):
        name = await real(*args, **kwargs)
        names.append(name)
        return name

    monkeypatch.setattr(layer, "new_channel", counted)
    return names


async def test_anonymous_sockets_open_no_channel(alice, opened):
    await get_hub().start()  # the hub's own membership of group "leaderboard"
    before = len(opened)
    sockets = [(await open_socket(LIVE))[0] for _ in range(5)]
    for socket in sockets:
        assert (await next_json(socket))["event"] == "leaderboard:initial"
    assert len(opened) == before
    for socket in sockets:
        await socket.disconnect()


@pytest.fixture
def token(alice) -> str:
    return issue_token_pair(alice).access


async def test_a_signed_in_socket_opens_one_when_it_authenticates(token, opened):
    await get_hub().start()
    before = len(opened)
    socket, _, _ = await open_socket(LIVE)
    await next_json(socket)
    assert len(opened) == before
    await socket.send_json_to({"type": "auth", "token": token})
    await socket.send_json_to({"type": "ping", "event": "ping"})
    while "pong" not in str(await next_json(socket)):
        pass
    assert len(opened) == before + 1
    await socket.disconnect()
