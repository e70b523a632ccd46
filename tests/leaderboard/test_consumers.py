"""Both WebSocket dialects on the real ASGI application: messages, auth and every close code."""

from __future__ import annotations

from unittest import mock

import pytest
from channels.db import database_sync_to_async
from channels.db import database_sync_to_async as sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.models import User
from accounts.tokens import issue_token_pair
from leaderboard import consumers, dialects
from leaderboard.broadcast import broadcaster
from leaderboard.services import score_history_record
from scoreboard_project.asgi import application
from tests.helpers.sockets import close_code, next_json, open_socket, wait_for_json

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_hub")]
LIVE, SCOREBOARD = "/ws/leaderboard/live", "/ws/scoreboard"


@pytest.fixture
def token(alice) -> str:
    return issue_token_pair(alice).access


def bearer(access: str) -> list[tuple[bytes, bytes]]:
    return [(b"authorization", f"Bearer {access}".encode())]


async def test_it_sends_the_initial_top_10_on_the_live_dialect(alice, bob):
    socket, connected, _ = await open_socket(LIVE)
    assert connected
    message = await next_json(socket)
    assert message["event"] == "leaderboard:initial"
    assert [entry["username"] for entry in message["data"]["leaderboard"]] == ["alice", "bob"]
    assert message["data"]["updatedAt"].endswith("Z")
    await socket.disconnect()


async def test_it_greets_the_scoreboard_dialect_and_answers_subscribe(alice):
    socket, _, _ = await open_socket(SCOREBOARD)
    hello = await next_json(socket)
    assert hello["type"] == "connected"
    assert hello["clientId"] and hello["timestamp"].endswith("Z")
    await socket.send_json_to({"type": "subscribe", "channel": "leaderboard"})
    update = await next_json(socket)
    assert update["type"] == "leaderboard_update"
    assert update["data"]["leaderboard"][0]["username"] == "alice"
    assert "change" in update["data"]["leaderboard"][0]
    await socket.disconnect()


async def test_it_answers_ping_with_pong_in_both_dialects(alice):
    live, _, _ = await open_socket(LIVE)
    await next_json(live)
    await live.send_json_to({"event": "ping", "timestamp": 12345})
    assert await next_json(live) == {"event": "pong", "timestamp": 12345}
    scoreboard, _, _ = await open_socket(SCOREBOARD)
    await next_json(scoreboard)
    await scoreboard.send_json_to({"type": "ping"})
    pong = await next_json(scoreboard)
    assert pong["type"] == "pong" and pong["timestamp"].endswith("Z")
    await live.disconnect()
    await scoreboard.disconnect()


@pytest.mark.parametrize(
    "raw, echoed",
    [
        ('{"event":"ping","timestamp":' + "[" * 254 + "]" * 254 + "}", None),  # was a 1011 close
        (
            '{"event":"ping","timestamp":123456789012345678901234567890}',
            1.2345678901234568e29,
        ),  # read as a float
        ('{"event":"ping","timestamp":{"a":1}}', None),
        ('{"event":"ping","timestamp":true}', None),
        ('{"event":"ping","timestamp":"t-1"}', "t-1"),
        ('{"event":"ping","timestamp":1.5}', 1.5),
    ],
)
async def test_a_pong_echoes_only_a_number_or_a_string(alice, raw, echoed):
    live, _, _ = await open_socket(LIVE)
    await next_json(live)
    await live.send_to(text_data=raw)
    assert await next_json(live) == {"event": "pong", "timestamp": echoed}
    await live.send_json_to({"event": "ping", "timestamp": 7})  # still open
    assert await next_json(live) == {"event": "pong", "timestamp": 7}
    await live.disconnect()


@pytest.mark.parametrize("how", ["header", "query", "message"])
async def test_it_closes_4401_for_a_bad_token(alice, how):
    headers = bearer("not-a-jwt") if how == "header" else []
    path = f"{LIVE}?token=not-a-jwt" if how == "query" else LIVE
    socket, connected, _ = await open_socket(path, headers=headers)
    assert connected
    if how == "message":
        await next_json(socket)
        await socket.send_json_to({"type": "auth", "token": "not-a-jwt"})
    assert await close_code(socket) == 4401
    await socket.disconnect()


@pytest.mark.parametrize("how", ["header", "query", "message"])
@pytest.mark.parametrize("path", [LIVE, SCOREBOARD])
async def test_it_authenticates_and_sends_the_scorer_their_events(alice, token, how, path):
    socket, _, _ = await open_socket(
        f"{path}?token={token}" if how == "query" else path, headers=bearer(token) if how == "header" else []
    )
    await next_json(socket)
    if how == "message":
        await socket.send_json_to({"type": "auth", "token": token})
        await socket.send_json_to({"type": "ping", "event": "ping"})  # answered once auth is done
        await wait_for_json(socket, lambda m: "pong" in (m.get("type"), m.get("event")))
    await database_sync_to_async(score_history_record)(user=alice, increment=100)
    if path == LIVE:
        event = await wait_for_json(socket, lambda m: m.get("event") == "score:update")
        assert event["data"] == {
            "userId": str(alice.pk),
            "oldScore": 0,
            "newScore": 100,
            "increment": 100,
            "newRank": 1,
        }
    else:
        event = await wait_for_json(socket, lambda m: m.get("type") == "score_update")
        assert event["data"] == {
            "userId": str(alice.pk),
            "previousScore": 0,
            "newScore": 100,
            "scoreIncrement": 100,
            "newRank": 1,
            "previousRank": 1,
        }
    await socket.disconnect()


async def test_it_closes_4403_for_a_banned_account(alice, token):
    await database_sync_to_async(User.objects.filter(pk=alice.pk).update)(status=User.Status.BANNED)
    socket, _, _ = await open_socket(LIVE, headers=bearer(token))
    assert await close_code(socket) == 4403
    await socket.disconnect()


@pytest.mark.parametrize("path", [LIVE, SCOREBOARD])
async def test_it_closes_an_open_socket_with_4403_when_the_player_is_banned(alice, token, path):
    socket, _, _ = await open_socket(path, headers=bearer(token))
    await next_json(socket)
    await sync_to_async(broadcaster.disconnect_banned_user)(alice.pk)
    assert await close_code(socket) == 4403
    await socket.disconnect()


async def test_it_closes_4429_past_the_open_connection_limit(alice, token, settings):
    settings.WS_MAX_CONNECTIONS_PER_USER = 1
    first, _, _ = await open_socket(LIVE, headers=bearer(token))
    await next_json(first)
    second, _, _ = await open_socket(LIVE, headers=bearer(token))
    assert await close_code(second) == 4429
    await second.disconnect()
    await first.disconnect()
    third, _, _ = await open_socket(LIVE, headers=bearer(token))  # the first one's slot is free again
    assert (await next_json(third))["event"] == "leaderboard:initial"
    await third.disconnect()


async def test_it_closes_4429_past_new_connections_per_5_minutes(alice, token, settings):
    settings.WS_NEW_CONNECTIONS_PER_5_MINUTES = 3
    for _ in range(3):
        socket, _, _ = await open_socket(LIVE, headers=bearer(token))
        await next_json(socket)
        await socket.disconnect()
    socket, _, _ = await open_socket(LIVE, headers=bearer(token))
    assert await close_code(socket) == 4429
    await socket.disconnect()


async def test_it_closes_1009_for_a_message_over_4_kib(alice):
    socket, _, _ = await open_socket(SCOREBOARD)
    await next_json(socket)
    await socket.send_to(text_data='{"type":"ping","pad":"' + "x" * 4100 + '"}')
    assert await close_code(socket) == 1009
    await socket.disconnect()


async def test_it_closes_a_socket_that_floods_messages(alice):
    socket, _, _ = await open_socket(LIVE)
    await next_json(socket)
    for index in range(40):
        await socket.send_json_to({"event": "ping", "timestamp": index})
    assert await close_code(socket) == 1008
    await socket.disconnect()


@pytest.mark.parametrize(
    "origin, accepted",
    [
        (None, True),
        (b"http://localhost:8000", True),
        (b"https://game.example.com", True),
        (b"http://game.example.com", True),
        (b"https://GAME.example.com:8443", True),
        (b"https://evil.example.net", False),
        (b"https://game.example.com.evil.net", False),
        (b"null", False),
    ],
)
async def test_it_validates_the_origin(alice, settings, origin, accepted):
    settings.CORS_ORIGIN = ["https://game.example.com"]
    socket, connected, code = await open_socket(LIVE, headers=[(b"origin", origin)] if origin else [])
    assert connected is accepted
    if accepted:
        assert (await next_json(socket))["event"] == "leaderboard:initial"
        await socket.disconnect()
    else:
        assert code == 403


async def test_it_closes_4401_when_a_private_leaderboard_gets_no_auth(alice, settings, monkeypatch):
    settings.LEADERBOARD_PUBLIC = False
    monkeypatch.setattr(consumers, "AUTH_DEADLINE_S", 0.2)
    socket, connected, _ = await open_socket(LIVE)
    assert connected
    assert await close_code(socket) == 4401
    await socket.disconnect()


async def test_it_accepts_a_first_auth_message_on_a_private_leaderboard(alice, token, settings):
    settings.LEADERBOARD_PUBLIC = False
    socket, _, _ = await open_socket(LIVE)
    await socket.send_json_to({"type": "auth", "token": token})
    assert (await next_json(socket))["event"] == "leaderboard:initial"
    await socket.disconnect()


@pytest.mark.parametrize("path, ping_key", [(LIVE, "event"), (SCOREBOARD, "type")])
async def test_it_pings_an_idle_socket_and_keeps_a_listener_that_never_answers(
    alice, settings, path, ping_key
):
    settings.WS_HEARTBEAT_INTERVAL = 200
    socket, _, _ = await open_socket(path)
    await next_json(socket)
    for _ in range(3):  # pinged once per interval, not dropped for staying silent
        assert (await next_json(socket, timeout=1))[ping_key] == "ping"
    await socket.send_json_to({ping_key: "ping", "timestamp": 1})
    assert await wait_for_json(socket, lambda m: m.get(ping_key) == "pong")
    await socket.disconnect()


async def test_it_keeps_a_socket_that_answers_pings(alice, settings):
    settings.WS_HEARTBEAT_INTERVAL = 200
    socket, _, _ = await open_socket(LIVE)
    await next_json(socket)
    for _ in range(4):
        assert (await next_json(socket, timeout=1))["event"] == "ping"
        await socket.send_json_to({"event": "pong"})
    await socket.send_json_to({"event": "ping", "timestamp": 1})
    assert await wait_for_json(socket, lambda m: m.get("event") == "pong")
    await socket.disconnect()


async def test_it_pushes_top_10_changes_to_both_dialects(alice, bob, token):
    live, _, _ = await open_socket(LIVE)
    await next_json(live)
    scoreboard, _, _ = await open_socket(SCOREBOARD, headers=bearer(token))
    await next_json(scoreboard)
    await scoreboard.send_json_to({"type": "subscribe", "channel": "leaderboard"})
    await next_json(scoreboard)
    await database_sync_to_async(score_history_record)(user=bob, increment=100)
    update = await wait_for_json(live, lambda m: m.get("event") == "leaderboard:update")
    assert [e["username"] for e in update["data"]["leaderboard"]] == ["bob", "alice"]
    seen: dict[str, dict] = {}  # the board (hub) and the rank change (personal) may come in either order
    await wait_for_json(
        scoreboard,
        lambda m: (
            bool(seen.setdefault(m.get("type"), m)) and {"leaderboard_update", "rank_change"} <= seen.keys()
        ),
    )
    board, pushed = seen["leaderboard_update"], seen["rank_change"]
    assert board["data"]["leaderboard"][0]["change"] == "+100"
    assert board["data"]["seq"] == update["data"]["seq"]
    assert pushed["data"] == {"userId": str(alice.pk), "previousRank": 1, "newRank": 2, "score": 0}
    await scoreboard.send_json_to({"type": "unsubscribe", "channel": "leaderboard"})
    await live.disconnect()
    await scoreboard.disconnect()


async def test_it_frees_the_connection_slot_of_a_consumer_that_failed(alice, token, settings):
    settings.WS_MAX_CONNECTIONS_PER_USER = 1
    socket, _, _ = await open_socket(LIVE, headers=bearer(token))
    await next_json(socket)
    with mock.patch.object(dialects.LiveDialect, "handle", side_effect=RuntimeError("consumer bug")):
        await socket.send_json_to({"event": "ping", "timestamp": 1})
        with pytest.raises(RuntimeError):
            await socket.wait(timeout=2)

    again, _, _ = await open_socket(LIVE, headers=bearer(token))  # not refused with 4429

    assert (await next_json(again))["event"] == "leaderboard:initial"
    await again.disconnect()


async def test_it_asks_clients_to_come_back_when_the_channel_layer_is_down(settings, throwaway_redis):
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [throwaway_redis.url], "prefix": "down-test"},
        }
    }
    throwaway_redis.stop()

    socket = WebsocketCommunicator(application, LIVE)
    connected, _ = await socket.connect(timeout=5)

    assert connected
    assert await close_code(socket, timeout=5) == 1013
    await socket.disconnect()
