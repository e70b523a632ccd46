"""The live page with ``?board=`` and its board picker, as the server renders it."""

from __future__ import annotations

import pytest

from tests.helpers.boards import new_board, write
from tests.helpers.players import make_player

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_renders_a_named_boards_top_10_with_a_picker(client):
    board = new_board("speedrun", operator="best", sort_order="asc")
    new_board("arena")
    write(board, make_player("slow"), 90)
    write(board, make_player("fast"), 40)
    make_player("global-only", score=1000)
    page = client.get("/?board=speedrun").content.decode()
    assert page.index(">fast<") < page.index(">slow<") and "global-only" not in page
    assert 'data-ws-path="/ws/leaderboard/live?board=speedrun"' in page
    assert 'data-api-url="/api/v1/leaderboards/speedrun/records?limit=10"' in page
    assert '<option value="speedrun" selected>Speedrun</option>' in page
    assert '<option value="arena">Arena</option>' in page and '<option value="global">Global</option>' in page


def test_it_keeps_the_global_board_by_default_and_refuses_an_unknown_one(client):
    new_board("arena")
    make_player("global-only", score=1000)
    page = client.get("/").content.decode()
    assert "global-only" in page and 'data-ws-path="/ws/leaderboard/live"' in page
    assert '<option value="global" selected>Global</option>' in page
    assert client.get("/?board=nope").status_code == 404
    assert client.get("/?board=a%00b").status_code == 404  # NUL: a 500 from PostgreSQL before
