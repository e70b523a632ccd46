"""Thin leaderboard APIs: validate the query strictly, call one selector, answer."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.views import APIView

from accounts.display_names import display_name_of
from accounts.models import User
from scoreboard_project.errors import NotFound
from scoreboard_project.fields import QueryIntegerField
from scoreboard_project.inputs import validated
from scoreboard_project.limits import check_leaderboard_read, check_my_score_read
from scoreboard_project.paths import path_uuid
from scoreboard_project.responses import ok
from scoreboard_project.schema import USER_ID_PATH, errors

from . import read_cache, selectors
from .periods import PERIODS
from .schema import (
    AROUND_ME_RESPONSE,
    LEADERBOARD_RESPONSE,
    MY_SCORE_RESPONSE,
    PLAYER_SCORE_RESPONSE,
    PUBLIC_AUTH,
    PUBLIC_NOTE,
)
from .shapes import MyScore


class LeaderboardReadable(BasePermission):
    """Public while LEADERBOARD_PUBLIC is true; otherwise a bearer token is required."""

    def has_permission(self, request, view) -> bool:  # noqa: ARG002
        return settings.LEADERBOARD_PUBLIC or bool(request.user)


class PeriodInput(serializers.Serializer):
    period = serializers.ChoiceField(choices=PERIODS, default="all")


def fast_query(params) -> dict | None:
    """``period`` and ``limit`` of the common query without building a serializer; None for
    anything else (an unknown key, a value the serializer must judge)."""
    if not set(params) <= {"period", "limit"}:
        return None
    period, limit = params.get("period", "all"), params.get("limit", "10")
    if period not in PERIODS or not (limit.isascii() and limit.isdigit() and 1 <= len(limit) <= 3):
        return None
    number = int(limit)
    return {"period": period, "limit": number} if 1 <= number <= 100 and limit[0] != "0" else None


class LeaderboardGetApi(APIView):
    """GET /leaderboard and its alias /scoreboard/top."""

    permission_classes = [LeaderboardReadable]

    class InputSerializer(PeriodInput):
        limit = QueryIntegerField(min_value=1, max_value=100, default=10)

    @extend_schema(
        parameters=[InputSerializer],
        summary="The top of a leaderboard",
        description=PUBLIC_NOTE,
        auth=PUBLIC_AUTH,
        responses={200: LEADERBOARD_RESPONSE, **errors(400, 401, 403, 429, 503)},
    )
    def get(self, request):
        query = fast_query(request.query_params) or validated(self.InputSerializer, request.query_params)
        check_leaderboard_read(request)
        return read_cache.leaderboard_response(query["period"], query["limit"])


class LeaderboardAroundMeApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(PeriodInput):
        radius = QueryIntegerField(min_value=0, max_value=50, default=5)

    @extend_schema(
        parameters=[InputSerializer],
        summary="The caller and their neighbours",
        responses={200: AROUND_ME_RESPONSE, **errors(400, 401, 403, 404, 429, 503)},
    )
    def get(self, request):
        query = validated(self.InputSerializer, request.query_params)
        check_leaderboard_read(request)
        data = selectors.leaderboard_around(user=request.user, period=query["period"], radius=query["radius"])
        if data is None:
            raise NotFound("You are not on the leaderboard.")
        return ok(data)


class MyScoreGetApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[PeriodInput],
        summary="The caller's score, rank and percentile",
        responses={200: MY_SCORE_RESPONSE, **errors(400, 401, 403, 429, 503)},
    )
    def get(self, request):
        query = validated(PeriodInput, request.query_params)
        check_my_score_read(request.user)
        user = request.user
        standing = selectors.player_standing(user=user, period=query["period"])
        data: MyScore = {
            "user_id": str(user.pk),
            "username": user.username,
            "display_name": display_name_of(user),
            "score": user.score,
            "rank": None,
            "percentile": None,
            "total_actions": user.total_actions,
        }
        return ok({**data, **standing} if standing else data)


class UserScoreGetApi(APIView):
    permission_classes = [LeaderboardReadable]

    @extend_schema(
        parameters=[PeriodInput, USER_ID_PATH],
        summary="A player's score, rank and percentile",
        description=PUBLIC_NOTE,
        auth=PUBLIC_AUTH,
        responses={200: PLAYER_SCORE_RESPONSE, **errors(400, 401, 403, 404, 429, 503)},
    )
    def get(self, request, user_id: str):
        query = validated(PeriodInput, request.query_params)
        check_leaderboard_read(request)
        player = User.objects.filter(pk=path_uuid(user_id, field="userId")).first()
        standing = selectors.player_standing(user=player, period=query["period"]) if player else None
        if standing is None:
            raise NotFound("No such player.")
        return ok(standing)
