"""Helpers of the named leaderboard tests: boards, accounts with roles, record writes."""

from __future__ import annotations

from datetime import datetime

from accounts.models import User
from leaderboard.boards import services
from leaderboard.boards.models import Leaderboard
from tests.helpers.players import make_player


def admin_account() -> User:
    return make_player("root", is_staff=True, is_superuser=True)


def new_board(key: str = "arena", *, operator: str = "best", **fields) -> Leaderboard:
    return services.board_create(key=key, name=key.title(), operator=operator, **fields)


def write(board: Leaderboard, user: User, score: int, *, at: datetime | None = None, metadata=None):
    board.refresh_from_db()
    return services.record_write(board=board, user=user, score=score, at=at, metadata=metadata)


def page(client, key: str, **query) -> dict:
    response = client.get(f"/api/v1/leaderboards/{key}/records", query)
    assert response.status_code == 200, response.content
    return response.json()["data"]
