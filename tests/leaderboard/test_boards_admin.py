"""Named leaderboards in the admin: created and edited through the services' checks."""

from __future__ import annotations

import pytest

from leaderboard.boards.models import Leaderboard, LeaderboardPeriod
from tests.helpers.boards import admin_account, new_board, write
from tests.helpers.players import make_player

pytestmark = pytest.mark.django_db

FORM = {
    "key": "weekly",
    "name": "Weekly",
    "operator": "incr",
    "sort_order": "desc",
    "action_types": '["COMPLETE_LEVEL"]',
    "reset_schedule": "0 0 * * 1",
    "timezone": "America/New_York",
}


def test_it_creates_a_board_with_its_first_period(client):
    client.force_login(admin_account())
    response = client.post("/admin/leaderboard/leaderboard/add/", FORM)
    assert response.status_code == 302, response.content.decode()[:2000]
    board = Leaderboard.objects.get(key="weekly")
    assert board.action_types == ["COMPLETE_LEVEL"] and board.timezone == "America/New_York"
    assert LeaderboardPeriod.objects.filter(board=board).count() == 1


@pytest.mark.parametrize(
    ("field", "value"), [("reset_schedule", "every monday"), ("timezone", "Mars/Base"), ("key", "global")]
)
def test_it_refuses_bad_fields(client, field, value):
    client.force_login(admin_account())
    response = client.post("/admin/leaderboard/leaderboard/add/", {**FORM, field: value})
    assert response.status_code == 200 and not Leaderboard.objects.exists()


def test_it_keeps_the_operator_once_recorded_and_lists_periods(client):
    client.force_login(admin_account())
    board = new_board("arena", operator="best")
    write(board, make_player("alice"), 5)
    url = f"/admin/leaderboard/leaderboard/{board.pk}/change/"
    form = {
        "name": "Arena",
        "operator": "set",
        "sort_order": "desc",
        "action_types": "[]",
        "reset_schedule": "",
        "timezone": "UTC",
    }
    assert client.post(url, form).status_code == 200
    assert Leaderboard.objects.get(pk=board.pk).operator == "best"
    assert client.post(url, {**form, "operator": "best", "name": "Arena 2"}).status_code == 302
    assert Leaderboard.objects.get(pk=board.pk).name == "Arena 2"
    assert client.get("/admin/leaderboard/leaderboardperiod/").status_code == 200
    assert client.get("/admin/leaderboard/leaderboardrecord/").status_code == 200
