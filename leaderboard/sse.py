"""GET /api/v1/leaderboard/stream: the top 10 as Server-Sent Events, through the hub."""

from __future__ import annotations

from collections.abc import AsyncIterator

from channels.db import database_sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from rest_framework.exceptions import APIException
from rest_framework.request import Request

from accounts.authentication import BearerAuthentication
from scoreboard_project.errors import error_response

from .boards.sockets import GLOBAL, board_exists
from .broadcast import HubClient, get_hub
from .schema import LeaderboardStreamSchemaView, documented_by

KEEP_ALIVE_S = 15.0


def _authenticate(request: HttpRequest) -> HttpResponse | None:
    """None when the caller may read the stream; else the error response."""
    try:
        found = BearerAuthentication().authenticate(Request(request))
    except APIException as exc:
        code = getattr(exc, "contract_code", None) or "TOKEN_INVALID"
        return error_response(code, str(exc.detail), exc.status_code)
    if found is None and not settings.LEADERBOARD_PUBLIC:
        return error_response("NOT_AUTHENTICATED", "Authentication is required.", 401)
    return None


async def _events(client: HubClient, first: str) -> AsyncIterator[str]:
    hub = get_hub()
    try:
        yield "retry: 3000\n" + first
        while True:
            frame = await client.next_frame(timeout=KEEP_ALIVE_S)
            yield frame if frame is not None else ": keep-alive\n\n"
    finally:
        hub.unregister(client)


@documented_by(LeaderboardStreamSchemaView)
async def leaderboard_stream(request: HttpRequest) -> HttpResponse:
    if request.method != "GET":
        return error_response("METHOD_NOT_ALLOWED", "Method not allowed.", 405)
    refused = await database_sync_to_async(_authenticate)(request)
    if refused is not None:
        return refused
    board = request.GET.get("board", GLOBAL)
    if not await board_exists(board):
        return error_response("NOT_FOUND", "No such leaderboard.", 404)
    hub = get_hub()
    client = HubClient("sse", board=board)
    await hub.register(client)
    frames = await hub.snapshot(board)
    response = StreamingHttpResponse(_events(client, frames["sse"]), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
