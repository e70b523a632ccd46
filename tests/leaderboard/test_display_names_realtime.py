"""Display names on both WebSocket dialects: carried as text, and a new name goes out."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from accounts.display_names import display_name_set
from tests.helpers.sockets import next_json, open_socket, wait_for_json

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("live_hub")]
XSS = "<img src=x onerror=alert(1)>"


async def test_it_carries_the_display_name_on_both_dialects(alice, bob):
    await database_sync_to_async(display_name_set)(user=alice, display_name=XSS)
    live, connected, _ = await open_socket("/ws/leaderboard/live")
    assert connected
    initial = await next_json(live)
    assert {e["username"]: e["displayName"] for e in initial["data"]["leaderboard"]} == {
        "alice": XSS,
        "bob": "bob",
    }
    scoreboard, _, _ = await open_socket("/ws/scoreboard")
    await next_json(scoreboard)
    await scoreboard.send_json_to({"type": "subscribe", "channel": "leaderboard"})
    update = await wait_for_json(scoreboard, lambda m: m.get("type") == "leaderboard_update")
    assert {e["username"]: e["displayName"] for e in update["data"]["leaderboard"]} == {
        "alice": XSS,
        "bob": "bob",
    }
    await live.disconnect()
    await scoreboard.disconnect()


async def test_it_broadcasts_a_new_name_on_the_top_10(alice):
    live, _, _ = await open_socket("/ws/leaderboard/live")
    await next_json(live)
    await database_sync_to_async(display_name_set)(user=alice, display_name="Queen Alice")
    update = await wait_for_json(live, lambda m: m.get("event") == "leaderboard:update")
    assert update["data"]["leaderboard"][0]["displayName"] == "Queen Alice"
    await live.disconnect()
