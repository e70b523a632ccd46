"""GET /api/v1/leaderboard/stream: the top 10 as Server-Sent Events, through the hub.

Inside the limits (scoreboard_project/limits.py): the request counts against its IP's
hourly limit, and the open stream holds a lease of its IP's cap on anonymous sockets and
streams (``stream.anonymous.ip``), renewed on every keep-alive while the client reads.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import AsyncIterator

from channels.db import database_sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import APIException
from rest_framework.request import Request

from accounts.authentication import BearerAuthentication
from scoreboard_project.client_ip import client_ip
from scoreboard_project.errors import (
    INVALID_TOKEN_MESSAGE,
    ApplicationError,
    AuthenticationRefused,
    MethodNotAllowed,
    NotAuthenticated,
    NotFound,
    RateLimitExceeded,
    ServiceUnavailable,
    TokenInvalid,
    error_response,
    refusal_response,
)
from scoreboard_project.limits import count_stream_request

from . import ws_limits
from .boards.sockets import GLOBAL, board_exists
from .broadcast.hub import HubClient, get_hub
from .ranking import REDIS_ERRORS
from .schema import LeaderboardStreamSchemaView, documented_by
from .ws_limits import acquire_anonymous_lease

KEEP_ALIVE_S = 15.0


def _authenticate(request: HttpRequest) -> HttpResponse | None:
    """None when the caller may read the stream; else the error response."""
    try:
        found = BearerAuthentication().authenticate(Request(request))
    except AuthenticationRefused as refused:
        return error_response(refused.error.code, refused.error.message, refused.error.status)
    except APIException as exc:  # simplejwt's InvalidToken: its detail is a dict, not a message
        return error_response(TokenInvalid.code, INVALID_TOKEN_MESSAGE, exc.status_code)
    if found is None and not settings.LEADERBOARD_PUBLIC:
        return error_response(NotAuthenticated.code, NotAuthenticated.message, NotAuthenticated.status)
    return None


async def _events(client: HubClient, first: str, holder: str, stream_id: str) -> AsyncIterator[str]:
    hub = get_hub()
    renewed = time.monotonic()
    try:
        yield "retry: 3000\n" + first
        while True:
            frame = await client.next_frame(timeout=KEEP_ALIVE_S)
            yield frame if frame is not None else ": keep-alive\n\n"
            client.sent()
            if holder and time.monotonic() - renewed >= KEEP_ALIVE_S:
                renewed = time.monotonic()
                with contextlib.suppress(Exception):
                    await ws_limits.renew(holder, stream_id, ws_limits.stream_lease_ms())
    finally:
        hub.unregister(client)
        if holder:
            with contextlib.suppress(Exception):
                await ws_limits.release(holder, stream_id)


def _limited(request: HttpRequest) -> HttpResponse | None:
    try:
        count_stream_request(request)
    except ApplicationError as exc:
        return refusal_response(exc)
    return None


@csrf_exempt  # GET only: any other method is a 405 below, not the CSRF check's 403
@documented_by(LeaderboardStreamSchemaView)
async def leaderboard_stream(request: HttpRequest) -> HttpResponseBase:
    if request.method != "GET":
        refused = error_response(MethodNotAllowed.code, MethodNotAllowed.message, MethodNotAllowed.status)
        refused["Allow"] = "GET"
        return refused
    refused = await database_sync_to_async(_authenticate)(request)
    if refused is None:
        refused = await database_sync_to_async(_limited)(request)
    if refused is not None:
        return refused
    board = request.GET.get("board") or GLOBAL  # an empty ?board= is global, as on the live socket
    if not await board_exists(board):
        return error_response(NotFound.code, "No such leaderboard.", NotFound.status)
    stream_id = uuid.uuid4().hex
    allowed, holder = await acquire_anonymous_lease(
        client_ip(request), stream_id, ws_limits.stream_lease_ms()
    )
    if not allowed:
        error = error_response(
            RateLimitExceeded.code,
            "Too many open streams from this address.",
            RateLimitExceeded.status,
            {"retryAfter": int(KEEP_ALIVE_S), "scope": "stream.anonymous.ip"},
        )
        error["Retry-After"] = str(int(KEEP_ALIVE_S))
        return error
    hub = get_hub()
    client = HubClient("sse", board=board)
    try:
        await hub.register(client)
        frames = await hub.snapshot(board)
    except REDIS_ERRORS:  # the channel layer is down: retryable, as the sockets' 1013 is
        hub.unregister(client)
        if holder:
            with contextlib.suppress(Exception):
                await ws_limits.release(holder, stream_id)
        return refusal_response(
            ServiceUnavailable("The live stream is unavailable right now; try again shortly.")
        )
    response = StreamingHttpResponse(
        _events(client, frames["sse"], holder, stream_id), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
