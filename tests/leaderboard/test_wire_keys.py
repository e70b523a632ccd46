"""Entries are snake_case inside; every REST answer and real-time frame writes them camelCase.

The REST answers go through the API renderer; the top-10 frames are serialized once per
update without it (``scoreboard_project.case``). Both must read the same (docs/api.md).
"""

from __future__ import annotations

import orjson
import pytest

from leaderboard.broadcast import broadcaster
from leaderboard.broadcast.payloads import board_frames
from scoreboard_project.case import camel_key, camel_rows

WIRE_ENTRY = ["rank", "userId", "username", "displayName", "score", "updatedAt"]


@pytest.fixture
def board(player):
    player("alice", 300, at=1, display_name="Alice A.")
    player("bob", 200, at=2)


def _frame_entries(frame: str) -> list[dict]:
    body = frame.removeprefix("event: leaderboard:update\ndata: ")
    message = orjson.loads(body)
    return message.get("data", message)["leaderboard"]


def test_it_writes_the_rest_entries_in_camel_case(api_client, board):
    data = api_client.get("/api/v1/leaderboard?limit=10").json()["data"]
    assert [list(entry) for entry in data["leaderboard"]] == [WIRE_ENTRY, WIRE_ENTRY]
    assert data["leaderboard"][0]["displayName"] == "Alice A."


@pytest.mark.django_db(transaction=True)
def test_it_writes_every_top_10_frame_like_the_rest_answer(api_client, board):
    rest = api_client.get("/api/v1/leaderboard?limit=10").json()["data"]["leaderboard"]
    assert broadcaster.publish_if_changed(force=True)
    frames = board_frames(broadcaster.current_state())
    for name in ("live", "live_initial", "sse"):
        entries = _frame_entries(frames[name])
        assert [list(entry) for entry in entries] == [WIRE_ENTRY, WIRE_ENTRY], name
        assert entries == rest, name
    scoreboard = _frame_entries(frames["scoreboard"])
    assert [list(entry) for entry in scoreboard] == [[*WIRE_ENTRY, "change"]] * 2
    assert [{k: v for k, v in entry.items() if k != "change"} for entry in scoreboard] == rest
    assert list(orjson.loads(broadcaster.current_state()["live"])) == ["leaderboard", "updatedAt", "seq"]


def test_it_camelcases_keys_exactly_as_the_renderer_does():
    assert [camel_key(key) for key in ("user_id", "display_name", "updated_at", "rank", "total_players")] == [
        "userId",
        "displayName",
        "updatedAt",
        "rank",
        "totalPlayers",
    ]
    row = {"rank": 1, "user_id": "u", "display_name": "user_name stays", "score": 2}
    assert camel_rows([row]) == [{"rank": 1, "userId": "u", "displayName": "user_name stays", "score": 2}]
