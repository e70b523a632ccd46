"""Typed payloads of every real-time message, and their frames (serialized once)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import orjson

from ..selectors import Entry


class ScoreEvent(TypedDict):
    userId: str
    previousScore: int
    newScore: int
    increment: int
    previousRank: int | None
    newRank: int | None


class RankChange(TypedDict):
    userId: str
    previousRank: int | None
    newRank: int | None
    score: int


class BoardState(TypedDict):
    """The last top 10 sent: compared with the next one, and every new socket's snapshot.

    ``entries`` as read (snake_case); ``live`` and ``scoreboard`` as sent (camelCase)."""

    seq: int
    updatedAt: str
    entries: list[Entry]
    live: str  # the `data` of leaderboard:initial / leaderboard:update and of SSE
    scoreboard: str  # the `data` of leaderboard_update (entries carry `change`)


def dumps(value: object) -> str:
    return orjson.dumps(value).decode()


def score_frames(event: ScoreEvent) -> dict[str, str]:
    """The scorer's own frames, per dialect (rank_change only when the rank moved)."""
    live = dumps(
        {
            "event": "score:update",
            "data": {
                "userId": event["userId"],
                "oldScore": event["previousScore"],
                "newScore": event["newScore"],
                "increment": event["increment"],
                "newRank": event["newRank"],
            },
        }
    )
    scoreboard = dumps(
        {
            "type": "score_update",
            "data": {
                "userId": event["userId"],
                "previousScore": event["previousScore"],
                "newScore": event["newScore"],
                "scoreIncrement": event["increment"],
                "newRank": event["newRank"],
                "previousRank": event["previousRank"],
            },
        }
    )
    frames = {"live": live, "scoreboard": scoreboard}
    if event["previousRank"] != event["newRank"]:
        frames["scoreboard_rank"] = rank_change_frame(
            RankChange(
                userId=event["userId"],
                previousRank=event["previousRank"],
                newRank=event["newRank"],
                score=event["newScore"],
            )
        )
    return frames


def rank_change_frame(change: RankChange) -> str:
    return dumps({"type": "rank_change", "data": change})


def board_frames(state: BoardState) -> dict[str, str]:
    """What the hub writes to sockets and streams, built once per update."""
    return {
        "live": '{"event":"leaderboard:update","data":' + state["live"] + "}",
        "live_initial": '{"event":"leaderboard:initial","data":' + state["live"] + "}",
        "scoreboard": '{"type":"leaderboard_update","data":' + state["scoreboard"] + "}",
        "sse": "event: leaderboard:update\ndata: " + state["live"] + "\n\n",
    }


def with_changes(entries: Sequence[Mapping[str, Any]], before: dict[str, int]) -> list[dict[str, Any]]:
    """/ws/scoreboard entries (as on the wire: camelCase) with ``change``, the score moved
    since the previous update."""
    return [
        {**entry, "change": f"{entry['score'] - before.get(entry['userId'], entry['score']):+d}"}
        for entry in entries
    ]


class OvertakenBy(TypedDict):
    userId: str
    username: str
    displayName: str


def overtaken_frames(*, board: str, by: OvertakenBy, rank: int, score: int) -> dict[str, str]:
    """One passed player's ``rank:overtaken`` / ``overtaken`` frames (docs/api.md, Players):
    their rank grew by exactly one with the change that passed them."""
    data = {"board": board, "by": by, "previousRank": rank - 1, "rank": rank, "score": score}
    return {
        "live": dumps({"event": "rank:overtaken", "data": data}),
        "scoreboard": dumps({"type": "overtaken", "data": data}),
    }
