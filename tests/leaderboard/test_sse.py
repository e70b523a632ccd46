"""GET /api/v1/leaderboard/stream, driven on the real ASGI application."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from accounts.tokens import issue_token_pair
from leaderboard.broadcast.hub import get_hub
from leaderboard.services import score_history_record
from tests.helpers.sse import Stream

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _uncoalesced(settings):
    settings.BROADCAST_INTERVAL_MS = 0


async def test_it_streams_the_board_then_every_change(alice, bob):
    stream = Stream()
    start = await stream.start()
    assert start["status"] == 200
    assert (b"content-type", b"text/event-stream") in [(k.lower(), v) for k, v in start["headers"]]
    first = await stream.body()
    assert "event: leaderboard:update\ndata: {" in first
    assert '"username":"alice"' in first
    await database_sync_to_async(score_history_record)(user=bob, increment=100)
    update = await stream.body()
    assert update.startswith("event: leaderboard:update\ndata: ")
    assert update.index('"username":"bob"') < update.index('"username":"alice"')
    hub = get_hub()
    assert len(hub.clients) == 1
    await stream.close()
    assert hub.clients == set()  # a clean disconnect unregisters the stream
    await hub.stop()


async def test_it_sends_a_keep_alive_comment(alice, monkeypatch):
    from leaderboard import sse

    monkeypatch.setattr(sse, "KEEP_ALIVE_S", 0.1)
    stream = Stream()
    await stream.start()
    await stream.body()
    assert await stream.body() == ": keep-alive\n\n"
    await stream.close()
    await get_hub().stop()


async def test_it_requires_a_token_when_private(alice, settings):
    settings.LEADERBOARD_PUBLIC = False
    stream = Stream()
    assert (await stream.start())["status"] == 401
    token = await database_sync_to_async(lambda: issue_token_pair(alice).access)()
    authorized = Stream(headers=[(b"authorization", f"Bearer {token}".encode())])
    assert (await authorized.start())["status"] == 200
    await authorized.body()
    await authorized.close()
    await get_hub().stop()


async def test_it_refuses_a_banned_caller_and_a_bad_token_with_their_codes(alice):
    import json

    from accounts.models import User

    token = await database_sync_to_async(lambda: issue_token_pair(alice).access)()
    await database_sync_to_async(User.objects.filter(pk=alice.pk).update)(status=User.Status.BANNED)
    banned = Stream(headers=[(b"authorization", f"Bearer {token}".encode())])
    assert (await banned.start())["status"] == 403
    assert json.loads(await banned.body())["error"] == {
        "code": "ACCOUNT_BANNED",
        "message": "This account is banned.",
    }
    forged = Stream(headers=[(b"authorization", b"Bearer not-a-token")])
    assert (await forged.start())["status"] == 401
    # The REST endpoints' message, not simplejwt's detail dict printed (as it was)
    assert json.loads(await forged.body())["error"] == {
        "code": "TOKEN_INVALID",
        "message": "The token is invalid or expired.",
    }


def test_another_method_is_a_405_not_the_csrf_check(transactional_db):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/api/v1/leaderboard/stream")
    assert response.status_code == 405 and response["Allow"] == "GET"  # was 403 FORBIDDEN
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


async def test_an_empty_board_parameter_is_the_global_board(alice):
    stream = Stream(query="board=")  # as on the live socket; was a 404
    assert (await stream.start())["status"] == 200
    assert "leaderboard:update" in await stream.body()
    await stream.close()
    await get_hub().stop()
