"""The only code that touches the channel layer: group membership and sends.

Sends work from sync code (on-commit callbacks, timer threads) and from async code, and
never wait for the serving loop: a scoring request's response does not queue behind it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from uuid import UUID

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from scoreboard_project.redis_client import redis_configured

from .hub import hub_loop

logger = logging.getLogger("scoreboard.broadcast")
ERRORS = (redis.RedisError, OSError)


def user_group(user_id: UUID | str) -> str:
    """Channels group names are ASCII: ``user_<hex>``."""
    return f"user_{UUID(str(user_id)).hex}"


_loop_lock = threading.Lock()
_background: asyncio.AbstractEventLoop | None = None


def _background_loop() -> asyncio.AbstractEventLoop:
    """A long-lived loop for sends from threads of a process with no hub (one Redis connection)."""
    global _background
    with _loop_lock:
        if _background is None or _background.is_closed():
            _background = asyncio.new_event_loop()
            threading.Thread(target=_background.run_forever, name="broadcast-loop", daemon=True).start()
        return _background


def group_send(group: str, message: dict) -> None:
    """Send from sync code (on-commit callbacks, timer threads) or from async code."""
    layer = get_channel_layer()
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        asyncio.ensure_future(layer.group_send(group, message))  # called from async code: no blocking
        return
    # The serving loop when this process has a hub (the in-memory layer is bound to it), else,
    # with Redis, a long-lived loop: async_to_sync would open a new connection per send.
    target = hub_loop() or (_background_loop() if redis_configured() else None)
    if target is None:
        async_to_sync(layer.group_send)(group, message)
        return
    # Never waits: the scoring request's response does not queue behind the serving loop.
    asyncio.run_coroutine_threadsafe(layer.group_send(group, message), target).add_done_callback(_sent)


def _sent(future) -> None:
    if not future.cancelled() and future.exception() is not None:
        logger.warning("Broadcast not sent: %s", future.exception())


async def group_add(group: str, channel: str) -> None:
    await get_channel_layer().group_add(group, channel)


async def group_discard(group: str, channel: str) -> None:
    await get_channel_layer().group_discard(group, channel)
