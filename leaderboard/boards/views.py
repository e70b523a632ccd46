"""Thin named leaderboard APIs (docs/api.md, "Named leaderboards")."""

from __future__ import annotations

from datetime import datetime

import orjson
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.views import APIView

from accounts.models import Role
from scoreboard_project.errors import Forbidden, NotFound
from scoreboard_project.inputs import validated
from scoreboard_project.limits import check_leaderboard_read
from scoreboard_project.parsers import AnyContentTypeJSONParser
from scoreboard_project.renderers import JSONRenderer
from scoreboard_project.responses import ok
from scoreboard_project.schema import errors
from scoreboard_project.times import iso_z

from ..schema import PUBLIC_AUTH, PUBLIC_NOTE
from ..views import LeaderboardReadable
from . import schema, selectors, services
from .inputs import (
    AroundQuery,
    BoardCreateInput,
    BoardUpdateInput,
    PeriodsQuery,
    RecordsQuery,
    RecordWriteInput,
)
from .periods_read import periods_page
from .resets import ensure_reset_clock

KEY_PATH = OpenApiParameter(
    "key", str, OpenApiParameter.PATH, description="the board's key (`global`: built in)"
)


class BoardManager(BasePermission):
    """Role ``admin`` or ``system`` (401 without a token, 403 FORBIDDEN otherwise)."""

    message = "Only roles admin and system may manage leaderboards."

    def has_permission(self, request, view) -> bool:  # noqa: ARG002 - DRF's signature
        return bool(
            request.user and getattr(request.user, "role", None) in (Role.ADMIN.value, Role.SYSTEM.value)
        )


class GameServer(BasePermission):
    """Role ``system``: records are submitted by game servers."""

    message = "Only game servers (role system) may submit records."

    def has_permission(self, request, view) -> bool:  # noqa: ARG002 - DRF's signature
        return bool(request.user and getattr(request.user, "role", None) == Role.SYSTEM.value)


class MetadataKeepingParser(AnyContentTypeJSONParser):
    json_underscoreize = {**AnyContentTypeJSONParser.json_underscoreize, "ignore_fields": ("metadata",)}


class MetadataKeepingRenderer(JSONRenderer):
    """Successes are built with camelCase keys by the selectors: written as they are (orjson,
    times as ISO-8601 Z), which keeps each record's ``metadata`` as it was sent and spares a
    1,000-record page the recursive camelCasing. Errors (snake_case field names in
    ``details``) go through the project's renderer."""

    json_underscoreize = {**JSONRenderer.json_underscoreize, "ignore_fields": ("metadata",)}

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict) and data.get("success") is True:
            return orjson.dumps(data, default=_encode, option=orjson.OPT_PASSTHROUGH_DATETIME)
        return super().render(data, accepted_media_type, renderer_context)


def _encode(value):
    if isinstance(value, datetime):
        return iso_z(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


class BoardsApi(APIView):
    renderer_classes = [MetadataKeepingRenderer]
    parser_classes = [MetadataKeepingParser]

    def initial(self, request, *args, **kwargs):
        ensure_reset_clock()
        super().initial(request, *args, **kwargs)


class LeaderboardsApi(BoardsApi):
    """GET (list) and POST (create) /leaderboards."""

    def get_permissions(self):
        return [BoardManager()] if self.request.method == "POST" else [LeaderboardReadable()]

    @extend_schema(
        operation_id="v1_leaderboards_list",
        summary="Every leaderboard",
        description=PUBLIC_NOTE,
        auth=PUBLIC_AUTH,
        responses={200: schema.BOARDS_RESPONSE, **errors(401, 403, 429)},
    )
    def get(self, request):
        check_leaderboard_read(request)
        return ok(selectors.boards_list())

    @extend_schema(
        request=BoardCreateInput,
        summary="Create a leaderboard (role admin or system)",
        responses={201: schema.BOARD_RESPONSE, **errors(400, 401, 403, 409)},
    )
    def post(self, request):
        board = services.board_create(**validated(BoardCreateInput, request.data))
        return ok(selectors.board_data(board), status=201)


class LeaderboardApi(BoardsApi):
    """GET and PATCH /leaderboards/{key}."""

    def get_permissions(self):
        return [BoardManager()] if self.request.method == "PATCH" else [LeaderboardReadable()]

    @extend_schema(
        parameters=[KEY_PATH],
        summary="One leaderboard",
        description=PUBLIC_NOTE,
        auth=PUBLIC_AUTH,
        responses={200: schema.BOARD_RESPONSE, **errors(401, 403, 404, 429)},
    )
    def get(self, request, key: str):
        check_leaderboard_read(request)
        return ok(selectors.board_detail(key))

    @extend_schema(
        parameters=[KEY_PATH],
        request=BoardUpdateInput,
        summary="Edit a leaderboard (role admin or system)",
        responses={200: schema.BOARD_RESPONSE, **errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request, key: str):
        if key == selectors.GLOBAL_KEY:
            raise Forbidden("The built-in global board cannot be edited.")
        board = selectors.board_get(key)
        serializer = BoardUpdateInput(data=request.data, board=board)
        serializer.is_valid(raise_exception=True)
        board = services.board_update(board=board, **serializer.validated_data)
        return ok(selectors.board_data(board))


class RecordsApi(BoardsApi):
    """GET (a page) and POST (a game server's record) /leaderboards/{key}/records."""

    def get_permissions(self):
        return [GameServer()] if self.request.method == "POST" else [LeaderboardReadable()]

    @extend_schema(
        parameters=[KEY_PATH, RecordsQuery],
        summary="A page of a leaderboard's records",
        description="Keyset pages: pass `nextCursor` as `cursor`. " + PUBLIC_NOTE,
        auth=PUBLIC_AUTH,
        responses={200: schema.RECORDS_RESPONSE, **errors(400, 401, 403, 404, 429)},
    )
    def get(self, request, key: str):
        query = validated(RecordsQuery, request.query_params)
        check_leaderboard_read(request)
        return ok(
            selectors.records_page(
                key=key, period=query["period"], cursor=query.get("cursor"), limit=query["limit"]
            )
        )

    @extend_schema(
        parameters=[KEY_PATH],
        request=RecordWriteInput,
        summary="Submit a record (role system); the board's operator applies",
        responses={200: schema.RECORD_WRITE_RESPONSE, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, key: str):
        data = validated(RecordWriteInput, request.data)
        return ok(
            services.record_submit(
                key=key,
                user_id=data["user_id"],
                score=data["score"],
                metadata=data["metadata"],
                caller=request.user,
            )
        )


class RecordsAroundMeApi(BoardsApi):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[KEY_PATH, AroundQuery],
        summary="The caller's record and their neighbours",
        responses={200: schema.AROUND_RESPONSE, **errors(400, 401, 403, 404, 429)},
    )
    def get(self, request, key: str):
        query = validated(AroundQuery, request.query_params)
        check_leaderboard_read(request)
        data = selectors.records_around(
            key=key, user=request.user, period=query["period"], radius=query["radius"]
        )
        if data is None:
            raise NotFound("You have no record on this leaderboard.")
        return ok(data)


class PeriodsApi(BoardsApi):
    permission_classes = [LeaderboardReadable]

    @extend_schema(
        parameters=[KEY_PATH, PeriodsQuery],
        summary="Finished periods, newest first, with their top 3",
        description=PUBLIC_NOTE,
        auth=PUBLIC_AUTH,
        responses={200: schema.PERIODS_RESPONSE, **errors(400, 401, 403, 404, 429)},
    )
    def get(self, request, key: str):
        query = validated(PeriodsQuery, request.query_params)
        check_leaderboard_read(request)
        return ok(periods_page(key=key, limit=query["limit"], cursor=query.get("cursor")))
