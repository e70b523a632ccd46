"""A WebSocket consumer that opens its channel-layer channel only when it needs one.

Channels gives every consumer a channel at connect: with the Redis pub/sub layer that is a
Redis ``SUBSCRIBE`` per socket, through the layer's shard lock, plus a receive task. The
top 10 reaches sockets through the process's hub, not the layer, so an anonymous socket
never needs a channel; only a signed-in one does, for its ``user_<hex>`` group (personal
events, a ban closing it). ``ensure_channel`` opens it then, and a task hands the layer's
messages to ``dispatch`` as Channels would; ``drop_channel`` ends it.
"""

from __future__ import annotations

import asyncio
import contextlib

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer

NO_LAYER = "__no_layer_at_connect__"  # an alias Channels does not know: no channel at connect


class LazyChannelConsumer(AsyncJsonWebsocketConsumer):
    channel_layer_alias = NO_LAYER
    _channel_task: asyncio.Task | None = None

    async def dispatch(self, message) -> None:
        """Channels' dispatch without its ``close_old_connections`` hop before every message.

        That hop runs on the one thread-sensitive executor thread, so under a connection
        storm every socket's connect queued behind it. This consumer holds no database
        connection between messages: its database work goes through
        ``database_sync_to_async``, which closes old connections around each call.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def ensure_channel(self) -> None:
        """Open this socket's channel (once) and start handing its messages to ``dispatch``."""
        if self._channel_task is not None:
            return
        layer = get_channel_layer()
        if layer is None:
            return
        self.channel_layer = layer
        self.channel_name = await layer.new_channel()
        self._channel_task = asyncio.create_task(self._pump(layer, self.channel_name))

    async def _pump(self, layer, channel: str) -> None:
        while True:
            await self.dispatch(await layer.receive(channel))

    async def drop_channel(self) -> None:
        task, self._channel_task = self._channel_task, None
        if task is not None:
            task.cancel()  # the layer's receive unsubscribes the channel when cancelled
            with contextlib.suppress(BaseException):
                await task
