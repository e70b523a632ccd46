"""Leaderboard fixtures: the store under test, players with chosen scores, clean real-time state."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from channels.layers import channel_layers

from accounts.models import User
from leaderboard import ws_limits
from leaderboard.boards import live as board_live
from leaderboard.broadcast import broadcaster
from leaderboard.broadcast.hub import get_hub
from tests.helpers.players import T0, make_player
from tests.helpers.stores import production_shape


@pytest.fixture(autouse=True)
def _clean_realtime_state() -> Iterator[None]:
    ws_limits.reset_local()
    channel_layers.backends.clear()  # a layer is bound to the event loop of the test that made it
    yield
    broadcaster.cancel_pending_timer()
    board_live.cancel_timers()
    ws_limits.reset_local()


@pytest.fixture(params=["redis", "sql"])
def store(request, settings) -> str:
    """Run a test against the Redis store and against the SQL store (forced)."""
    if request.param == "redis" and not production_shape():
        pytest.skip("the Redis store needs the production shape (REDIS_URL + PostgreSQL)")
    settings.LEADERBOARD_STORE = "auto" if request.param == "redis" else "sql"
    return request.param


@pytest.fixture
def player(db) -> Callable[..., User]:
    """``player("carol", 300, at=5)``: a player with that score, reached ``at`` minutes after T0."""

    def build(username: str, score: int = 0, *, at: float = 0, **fields) -> User:
        return make_player(username, score=score, score_updated_at=T0 + timedelta(minutes=at), **fields)

    return build


@pytest.fixture
async def live_hub(settings):
    """Sockets' tests: every top-10 change goes out at once (coalescing has its own tests),
    and the process's hub is stopped after the test (it lives on the test's event loop)."""
    settings.BROADCAST_INTERVAL_MS = 0
    yield get_hub()
    await get_hub().stop()
