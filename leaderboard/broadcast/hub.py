"""The per-process fan-out hub: one member of group ``leaderboard`` for all local sockets.

Delivering one update through Channels' per-socket group membership costs a consumer
dispatch per socket (3.6 s for 10,000 sockets here); the hub instead receives each
update once, keeps the frames that were serialized once per dialect, and hands them to
every registered socket or SSE stream. Each client has a latest-only slot: a client that
is still writing the previous update only ever gets the newest one, and one whose write
is still in progress while ``MAX_BEHIND`` newer updates arrive is closed. Nothing
buffers without limit. Under daphne a socket with nothing pending gets the frame written
straight to its transport instead, framed once per update (``direct``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from .direct import SENT, SLOW, DirectWriter, Prepared
from .payloads import BoardState, board_frames, overtaken_frames
from .state import shared_state

logger = logging.getLogger("scoreboard.hub")
LEADERBOARD_GROUP = "leaderboard"
OVERTAKEN = "hub.overtaken"  # every player one change passed, in one message (``deliver_overtaken``)
GLOBAL_BOARD = "global"  # a message with no "board" is the global board's
MAX_BEHIND = 3  # updates overwritten while the previous write was in progress: the client is too slow
YIELD_EVERY = 256  # sends between yields to the event loop during a fan-out
WATCH_EVERY_S = 1.0  # how often a hub checks for updates it missed (a pub/sub reconnect)

# Where a snapshot comes from when the hub has none in memory: the broadcaster's last top 10
# and a named board's (``broadcaster.current_state``, ``boards.live.current_state``). They
# import this module, so the leaderboard app hands them over at start-up (apps.py).
# The same for catching up: the named boards whose shared state is newer than the hub's
# (``boards.live.newer_states``).
_global_state: Callable[[], BoardState] | None = None
_board_state: Callable[[str], Any] | None = None
_boards_newer: Callable[[dict[str, int]], list[tuple[str, Any]]] | None = None


def use_snapshot_sources(
    *,
    global_state: Callable[[], BoardState],
    board_state: Callable[[str], Any],
    boards_newer: Callable[[dict[str, int]], list[tuple[str, Any]]],
) -> None:
    global _global_state, _board_state, _boards_newer
    _global_state, _board_state, _boards_newer = global_state, board_state, boards_newer


PersonalSink = Callable[[dict[str, str]], Awaitable[None]]  # writes a frame per dialect to one socket


class HubClient:
    """A socket or stream registered with the hub."""

    def __init__(
        self,
        dialect: str,
        *,
        subscribed: bool = True,
        on_overflow: Callable[[], None] | None = None,
        board: str = GLOBAL_BOARD,
    ):
        self.dialect = dialect  # "live", "scoreboard" or "sse": the key of its frame
        self.board = board  # the board whose top 10 it gets: "global" or a named board's key
        self.subscribed = subscribed
        self.on_overflow = on_overflow
        self._slot: str | None = None
        self._ready = asyncio.Event()
        self._behind = 0
        self._writing = False  # a frame taken by next_frame() and not yet sent()
        self.writer: DirectWriter | None = None  # set once the socket's greeting is out

    def offer(self, frames: dict[str, str], prepared: Prepared | None = None) -> None:
        if not self.subscribed:
            return
        if self.writer is not None and self._slot is None and not self._writing:
            # Nothing older is pending, so writing now keeps the order of the frames.
            frame = (prepared or Prepared(frames)).get(self.dialect)
            outcome = self.writer.write(frame, MAX_BEHIND * len(frames[self.dialect]))
            if outcome == SENT:
                return
            if outcome == SLOW:
                if self.on_overflow is not None:
                    self.on_overflow()
                return
        # Only a write still in progress makes a client "behind": a frame overwritten before
        # the writer was even scheduled (the process busy, say with a connection flood) costs
        # nothing, as the slot keeps one frame, and says nothing about the client.
        if self._slot is not None and self._writing:
            self._behind += 1
            if self._behind >= MAX_BEHIND and self.on_overflow is not None:
                self.on_overflow()
        self._slot = frames[self.dialect]
        self._ready.set()

    async def next_frame(self, timeout: float | None = None) -> str | None:
        """The newest frame not yet written; None after ``timeout`` seconds without one."""
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            return None
        self._ready.clear()
        frame, self._slot, self._behind = self._slot, None, 0
        self._writing = frame is not None
        return frame

    def sent(self) -> None:
        """The frame from next_frame() is written."""
        self._writing = False


class Hub:
    def __init__(self) -> None:
        self.clients: set[HubClient] = set()
        self.frames: dict[str, str] | None = None
        self.seq = 0
        self.boards: dict[str, tuple[int, dict[str, str]]] = {}  # named board -> (seq, frames)
        self.players: dict[str, set[PersonalSink]] = {}  # user id -> its signed-in sockets here
        self._tasks: list[asyncio.Task] = []
        self._starting = asyncio.Lock()

    async def register(self, client: HubClient) -> None:
        await self.start()
        self.clients.add(client)

    def unregister(self, client: HubClient) -> None:
        self.clients.discard(client)

    async def add_player(self, user_id: str, sink: PersonalSink) -> None:
        """A signed-in socket of ``user_id`` (a UUID string): it gets that player's ``overtaken``."""
        await self.start()
        self.players.setdefault(user_id, set()).add(sink)

    def remove_player(self, user_id: str, sink: PersonalSink) -> None:
        sinks = self.players.get(user_id)
        if sinks is not None:
            sinks.discard(sink)
            if not sinks:
                del self.players[user_id]

    async def start(self) -> None:
        async with self._starting:
            if self._tasks:
                return
            layer = get_channel_layer()
            channel = await layer.new_channel("hub.")
            await layer.group_add(LEADERBOARD_GROUP, channel)
            self._tasks = [
                asyncio.create_task(self._receive(layer, channel)),
                asyncio.create_task(self._watch()),
            ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks = []

    async def _receive(self, layer, channel: str) -> None:
        while True:
            try:
                message = await layer.receive(channel)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the layer reconnects; keep listening
                logger.exception("Hub: channel layer receive failed; retrying")
                await asyncio.sleep(1)
                continue
            if message.get("type") == "hub.board":
                await self.deliver(message)
            elif message.get("type") == OVERTAKEN:
                await self.deliver_overtaken(message)

    async def deliver(self, state: Mapping[str, Any]) -> None:
        """Fan out a board (``seq``, ``live``, ``scoreboard``) unless a newer one was sent.

        One group carries every board: a named board's message names it (``board``), and
        only the clients watching that board get it.
        """
        seq = int(state["seq"])
        board = state.get("board") or GLOBAL_BOARD
        if board != GLOBAL_BOARD:
            if seq <= self.boards.get(board, (0, {}))[0]:
                return
            frames = board_frames(state)  # type: ignore[arg-type]
            self.boards[board] = (seq, frames)
        elif seq <= self.seq:
            return  # stale: a newer update already went out
        else:
            self.seq = seq
            self.frames = frames = board_frames(state)  # type: ignore[arg-type]
        prepared = Prepared(frames)
        for index, client in enumerate([c for c in self.clients if c.board == board]):
            client.offer(frames, prepared)
            if index % YIELD_EVERY == YIELD_EVERY - 1:
                await asyncio.sleep(0)

    async def deliver_overtaken(self, message: Mapping[str, Any]) -> None:
        """The personal ``overtaken`` frames of the passed players with a socket on this process
        (``passed``: [user id, rank now, score]); every hub gets the message, each writes its own."""
        for user_id, rank, score in message["passed"]:
            sinks = self.players.get(user_id)
            if not sinks:
                continue
            frames = overtaken_frames(board=message["board"], by=message["by"], rank=rank, score=score)
            for sink in list(sinks):
                try:
                    await sink(frames)
                except Exception:  # noqa: BLE001 - a closing socket: the others still hear it
                    logger.debug("Hub: an overtaken frame not written", exc_info=True)

    async def snapshot(self, board: str = GLOBAL_BOARD) -> dict[str, str]:
        """The current board's frames, from memory, the shared cache or (first time) the database."""
        assert _global_state is not None and _board_state is not None, "the leaderboard app is not ready"
        if board != GLOBAL_BOARD:
            state = await sync_to_async(_board_state, thread_sensitive=False)(board)
            if state["seq"] > self.boards.get(board, (0, {}))[0]:
                self.boards[board] = (state["seq"], board_frames(state))
            return self.boards[board][1]
        if self.frames is None:
            state = await sync_to_async(_global_state, thread_sensitive=False)()
            if self.frames is None or state["seq"] > self.seq:
                self.seq = max(self.seq, state["seq"])
                self.frames = board_frames(state)
        return self.frames

    async def _watch(self) -> None:
        """Catch up after a channel-layer reconnect: missed updates show as a newer shared seq.

        Every second (one Redis GET per process, one more for the named boards watched
        here): a socket shows the current top 10 within about a second of its process's
        reconnect (tests/e2e/faults/test_pubsub_drop.py, tests/leaderboard/test_boards_live.py).
        """
        period = min(WATCH_EVERY_S, settings.WS_HEARTBEAT_INTERVAL / 1000)
        while True:
            await asyncio.sleep(period)
            try:
                await self.catch_up()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - Redis down: try again next round
                logger.warning("Hub: shared state unreachable", exc_info=True)

    async def catch_up(self) -> None:
        """Deliver every board (global and the named ones watched here) whose shared state is
        newer than what this hub sent."""
        store = shared_state()
        if await sync_to_async(store.seq, thread_sensitive=False)() > self.seq:
            state = await sync_to_async(store.last, thread_sensitive=False)()
            if state is not None and state["seq"] > self.seq:
                logger.info("Hub: missed update(s); sending the current board to every socket")
                await self.deliver(state)
        watched = {client.board for client in self.clients}
        known = {board: seq for board, (seq, _) in self.boards.items() if board in watched}
        boards_newer = _boards_newer
        assert boards_newer is not None, "use_snapshot_sources() runs in the app's ready()"
        for board, state in await sync_to_async(boards_newer, thread_sensitive=False)(known):
            logger.info("Hub: missed update(s) of board %s; sending its current top 10", board)
            await self.deliver(
                {
                    "board": board,
                    "seq": state["seq"],
                    "live": state["live"],
                    "scoreboard": state["scoreboard"],
                }
            )


_hubs: dict[asyncio.AbstractEventLoop, Hub] = {}


def hub_loop() -> asyncio.AbstractEventLoop | None:
    """The serving event loop of this process, once a hub runs on it."""
    for loop, hub in list(_hubs.items()):
        if hub._tasks and loop.is_running() and not loop.is_closed():
            return loop
    return None


def get_hub() -> Hub:
    """The hub of the running event loop (one per server process)."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None:
        for stale in [known for known in _hubs if known.is_closed()]:
            del _hubs[stale]
        hub = _hubs[loop] = Hub()
    return hub
