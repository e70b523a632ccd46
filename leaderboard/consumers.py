"""The WebSocket consumer of both dialects (``dialects.py`` holds what differs).

Authentication comes from the ASGI middleware (header or ``?token=``) or a first
message ``{"type": "auth", "token": ...}``. The consumer accepts before it decides, so
it can close with the contract's codes: 4401 bad token, 4403 banned (also when a ban
lands later, through group ``user_<hex>``), 4429 connection limits, 1009 a message over
4 KiB, 1008 a message flood. The top 10 arrives
through the process's hub; the socket holds no database connection while idle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid

import orjson
from channels.db import database_sync_to_async
from django.conf import settings

from accounts.models import User
from scoreboard_project import metrics
from scoreboard_project.limits import WS_MAX_MESSAGE_BYTES

from . import ws_limits
from .boards.sockets import MAX_BOARDS_PER_SOCKET, UNKNOWN_BOARD, board_exists, board_of
from .broadcast.channel import group_add, group_discard, user_group
from .broadcast.direct import writer_for
from .broadcast.hub import GLOBAL_BOARD, HubClient, get_hub
from .dialects import LIVE
from .lazy_channel import LazyChannelConsumer
from .ranking import REDIS_ERRORS
from .ws_auth import authenticate_token
from .ws_limits import FloodBucket, acquire_anonymous_lease, scope_client_ip

logger = logging.getLogger("scoreboard.ws")
MAX_MESSAGE_BYTES = WS_MAX_MESSAGE_BYTES
AUTH_DEADLINE_S = 5.0
SEND_TIMEOUT_S = 10.0


class LeaderboardConsumer(LazyChannelConsumer):
    dialect = LIVE
    pinged_at: float | None  # when the server last pinged a silent socket

    def __init__(self, *args, dialect=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if dialect is not None:
            self.dialect = dialect

    async def connect(self) -> None:
        self.client_id = uuid.uuid4().hex
        self.user: User | None = None
        self.hub_client: HubClient | None = None
        self.started = self.closing = False
        self.tasks: list[asyncio.Task] = []
        self.flood = FloodBucket()
        self.last_heard, self.pinged_at = time.monotonic(), None
        self.lease_holder = ""  # the lease this socket holds: user:<id> or anon:<ip>
        # /ws/leaderboard/live?board={key}; /ws/scoreboard picks boards by channel instead.
        self.board = board_of(self.scope) if self.dialect.name == "live" else GLOBAL_BOARD
        self.board_clients: dict[str, HubClient] = {}
        self.board_writers: dict[str, asyncio.Task] = {}  # each board client's write_updates
        await self.accept()
        self.released = False
        metrics.websocket_connections.inc()
        error = self.scope.get("auth_error")
        if not await board_exists(self.board):
            await self.shut(UNKNOWN_BOARD)
            return
        if error:
            await self.shut(4403 if error == "banned" else 4401)
            return
        if self.scope.get("user") is None:
            allowed, self.lease_holder = await acquire_anonymous_lease(
                scope_client_ip(self.scope), self.client_id, ws_limits.socket_lease_ms()
            )
            if not allowed:
                await self.shut(4429)
                return
        if self.scope.get("user") is not None:
            if not await self.sign_in(self.scope["user"]):
                return
        elif not settings.LEADERBOARD_PUBLIC:
            self.tasks.append(asyncio.create_task(self.auth_deadline()))
            return
        await self.start()

    async def shut(self, code: int) -> None:
        if not self.closing:
            self.closing = True
            await self.close(code=code)

    async def sign_in(self, user: User) -> bool:
        try:
            allowed = await ws_limits.acquire_user(str(user.pk), self.client_id)
            if allowed:
                await self.drop_lease()  # an anonymous socket that signed in
                self.lease_holder = ws_limits.user_holder(str(user.pk))
                await self.ensure_channel()  # anonymous sockets never open one
                await group_add(user_group(user.pk), self.channel_name)
                await get_hub().add_player(str(user.pk), self.player_overtaken)
        except REDIS_ERRORS:
            logger.warning("Redis unreachable: refusing an authenticated socket (limits cannot be checked)")
            await self.shut(1013)  # Try Again Later, as when the channel layer is down
            return False
        if not allowed:
            await self.shut(4429)
            return False
        self.user = user
        return True

    async def start(self) -> None:
        try:
            await self._start()
        except REDIS_ERRORS:
            logger.warning("Redis unreachable: the live leaderboard cannot be served")
            await self.shut(1013)  # Try Again Later, as when the channel layer is down

    async def _start(self) -> None:
        self.started = True
        hub = get_hub()
        self.hub_client = HubClient(
            self.dialect.name,
            subscribed=self.dialect.subscribed_on_connect,
            on_overflow=self.too_slow,
            board=self.board,
        )
        await hub.register(self.hub_client)  # before the snapshot: no update can fall in between
        frames = await hub.snapshot(self.board)
        for frame in self.dialect.greeting(self.client_id, frames):
            await self.send(text_data=frame)
        self.hub_client.writer = writer_for(self.base_send)  # updates from now on: straight to the socket
        self.tasks += [asyncio.create_task(self.write_updates()), asyncio.create_task(self.heartbeat())]

    async def set_subscribed(self, subscribed: bool) -> None:
        if self.hub_client is None:
            return
        self.hub_client.subscribed = subscribed
        if subscribed:
            frames = await get_hub().snapshot()
            await self.send(text_data=frames[self.dialect.name])

    async def subscribe_board(self, key: str, subscribed: bool) -> bool:
        """/ws/scoreboard ``leaderboard:{key}``: that board's top 10 too, through the hub.
        False when there is no such board (or too many boards on this socket)."""
        if key == GLOBAL_BOARD:
            await self.set_subscribed(subscribed)
            return True
        client = self.board_clients.get(key)
        if not subscribed:
            if client is not None:  # frees its place: unsubscribing is how a client makes room
                self._drop_board(key, client)
            return True
        if client is None:
            if len(self.board_clients) >= MAX_BOARDS_PER_SOCKET or not await board_exists(key):
                return False
            client = self.board_clients[key] = HubClient(
                self.dialect.name, on_overflow=self.too_slow, board=key
            )
            await get_hub().register(client)
            writer = self.board_writers[key] = asyncio.create_task(self.write_updates(client))
            self.tasks.append(writer)
        await self.send(text_data=(await get_hub().snapshot(key))[self.dialect.name])
        return True

    def _drop_board(self, key: str, client: HubClient) -> None:
        get_hub().unregister(client)
        del self.board_clients[key]
        writer = self.board_writers.pop(key)
        writer.cancel()
        self.tasks.remove(writer)

    def too_slow(self) -> None:
        logger.info("Closing a WebSocket that cannot keep up with updates")
        asyncio.ensure_future(self.shut(1013))

    async def write_updates(self, client: HubClient | None = None) -> None:
        client = client or self.hub_client
        assert client is not None
        while True:
            frame = await client.next_frame()
            try:
                async with asyncio.timeout(SEND_TIMEOUT_S):  # no extra task per send, unlike wait_for
                    await self.send(text_data=frame)
            except TimeoutError:
                await self.shut(1013)
                return
            client.sent()

    async def heartbeat(self) -> None:
        """Ping a socket that has been silent for an interval, once per interval.

        A client need not answer: a game client that only listens is alive. Dead
        connections are dropped below the application, by the server's WebSocket protocol
        pings (daphne: every 20 s, dropped after 30 s without a pong), which every client
        library answers by itself; a send that fails ends this consumer as well.
        """
        interval = settings.WS_HEARTBEAT_INTERVAL / 1000
        while True:
            await asyncio.sleep(interval / 2)
            now = time.monotonic()
            if self.lease_holder:  # the cap holds for as long as the socket lives
                with contextlib.suppress(Exception):
                    await ws_limits.renew(self.lease_holder, self.client_id, ws_limits.socket_lease_ms())
            last_activity = max(self.last_heard, self.pinged_at or 0.0)
            if now - last_activity >= interval:
                self.pinged_at = now
                await self.send(text_data=self.dialect.ping())

    async def auth_deadline(self) -> None:
        await asyncio.sleep(AUTH_DEADLINE_S)
        if self.user is None:
            await self.shut(4401)

    async def receive(self, text_data=None, bytes_data=None, **kwargs) -> None:  # noqa: ARG002
        raw = text_data.encode() if text_data is not None else (bytes_data or b"")
        if len(raw) > MAX_MESSAGE_BYTES:
            await self.shut(1009)
            return
        if not self.flood.allow():
            await self.shut(1008)
            return
        self.last_heard, self.pinged_at = time.monotonic(), None
        try:
            content = orjson.loads(raw)
        except orjson.JSONDecodeError:
            return
        if not isinstance(content, dict) or self.closing:
            return
        if content.get("type") == "auth" or content.get("event") == "auth":
            await self.authenticate_message(content.get("token"))
        elif not self.started:
            await self.shut(4401)  # private leaderboard: the first message must authenticate
        else:
            await self.dialect.handle(self, content)

    async def authenticate_message(self, token) -> None:
        if self.user is not None:
            return
        if not isinstance(token, str) or not token or len(token) > 2048:
            await self.shut(4401)
            return
        user, error = await database_sync_to_async(authenticate_token)(token)
        if error or user is None:
            await self.shut(4403 if error == "banned" else 4401)
            return
        if await self.sign_in(user) and not self.started:
            await self.start()

    # --- messages from the channel layer (group user_<hex>) ------------------------------
    async def player_score(self, message: dict) -> None:
        await self.send(text_data=message[self.dialect.name])
        if self.dialect.name == "scoreboard" and message.get("scoreboard_rank"):
            await self.send(text_data=message["scoreboard_rank"])

    async def player_rank(self, message: dict) -> None:
        if self.dialect.name == "scoreboard":
            await self.send(text_data=message["scoreboard_rank"])

    async def player_overtaken(self, frames: dict[str, str]) -> None:
        """From the hub (``Hub.deliver_overtaken``): this player was passed."""
        await self.send(text_data=frames[self.dialect.name])

    async def player_banned(self, message: dict) -> None:  # noqa: ARG002
        await self.shut(4403)

    async def player_revoked(self, message: dict) -> None:  # noqa: ARG002
        await self.shut(4401)

    async def disconnect(self, code) -> None:  # noqa: ARG002
        await self.release()

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except REDIS_ERRORS:
            if hasattr(self, "released"):
                raise
            # The channel layer could not even open this socket's channel: tell the client
            # to come back (1013 Try Again Later) rather than fail the handshake with a 500.
            logger.warning("Redis unreachable: refusing a WebSocket with 1013")
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": 1013})
        finally:
            # A consumer that failed never sees websocket.disconnect: its tasks, hub slot and
            # connection lease are freed here all the same, or the player would be locked
            # out with 4429 until the lease expired.
            await self.release()

    async def release(self) -> None:
        """Free what the connection holds; safe to call more than once."""
        if getattr(self, "released", True):  # never connected, or released already
            return
        self.released = True
        for task in self.tasks:
            task.cancel()
        for client in [self.hub_client, *self.board_clients.values()]:
            if client is not None:
                get_hub().unregister(client)
        if self.user is not None:
            get_hub().remove_player(str(self.user.pk), self.player_overtaken)
            with contextlib.suppress(Exception):
                await group_discard(user_group(self.user.pk), self.channel_name)
        await self.drop_lease()
        await self.drop_channel()
        metrics.websocket_connections.dec()

    async def drop_lease(self) -> None:
        holder, self.lease_holder = self.lease_holder, ""
        if holder:
            with contextlib.suppress(Exception):
                await ws_limits.release(holder, self.client_id)
