"""The two WebSocket dialects of one live leaderboard (docs/api.md, "Real time")."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from scoreboard_project.times import iso_z

from .broadcast.payloads import dumps
from .exceptions import UnknownChannel


class Socket(Protocol):
    """What a dialect needs of its socket (``consumers.LeaderboardConsumer``)."""

    async def send(
        self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
    ) -> None: ...

    async def subscribe_board(self, key: str, subscribed: bool) -> bool: ...


def _now_iso() -> str:
    return iso_z(datetime.now(UTC))


def _echoed(timestamp: Any) -> int | float | str | None:
    """The ping's ``timestamp`` as the pong echoes it: a number or a string as sent, anything
    else as null. A nested value (an array 254 deep fits in 4 KiB) or an integer beyond 64 bits
    could not be written back (orjson refuses both): the socket closed with 1011."""
    if isinstance(timestamp, bool) or not isinstance(timestamp, int | float | str):
        return None
    if isinstance(timestamp, int) and not -(2**63) <= timestamp < 2**63:
        return None
    if isinstance(timestamp, float) and not math.isfinite(timestamp):
        return None
    return timestamp


@dataclass(frozen=True)
class LiveDialect:
    """/ws/leaderboard/live: ``{"event": ..., "data": ...}``; the top 10 from the start."""

    name: str = "live"
    subscribed_on_connect: bool = True

    def greeting(self, client_id: str, frames: dict[str, str]) -> list[str]:  # noqa: ARG002
        return [frames["live_initial"]]

    def ping(self) -> str:
        return dumps({"event": "ping", "timestamp": int(time.time() * 1000)})

    async def handle(self, consumer: Socket, content: dict[str, Any]) -> None:
        kind = content.get("event", content.get("type"))
        if kind == "ping":
            await consumer.send(
                text_data=dumps({"event": "pong", "timestamp": _echoed(content.get("timestamp"))})
            )


@dataclass(frozen=True)
class ScoreboardDialect:
    """/ws/scoreboard: ``{"type": ..., "data": ...}``; the top 10 after ``subscribe``."""

    name: str = "scoreboard"
    subscribed_on_connect: bool = False

    def greeting(self, client_id: str, frames: dict[str, str]) -> list[str]:  # noqa: ARG002
        return [dumps({"type": "connected", "timestamp": _now_iso(), "clientId": client_id})]

    def ping(self) -> str:
        return dumps({"type": "ping", "timestamp": _now_iso()})

    async def handle(self, consumer: Socket, content: dict[str, Any]) -> None:
        kind = content.get("type")
        if kind == "ping":
            await consumer.send(text_data=dumps({"type": "pong", "timestamp": _now_iso()}))
        elif kind in ("subscribe", "unsubscribe"):
            channel = content.get("channel", "leaderboard")
            board = (
                "global"
                if channel == "leaderboard"
                else (
                    channel[len("leaderboard:") :]
                    if isinstance(channel, str) and channel.startswith("leaderboard:")
                    else None
                )
            )
            if not board or not await consumer.subscribe_board(board, kind == "subscribe"):
                await consumer.send(
                    text_data=dumps(
                        {
                            "type": "error",
                            "data": {"code": UnknownChannel.code, "message": UnknownChannel.message},
                        }
                    )
                )


LIVE = LiveDialect()
SCOREBOARD = ScoreboardDialect()
