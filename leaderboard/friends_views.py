"""``GET /leaderboards/{key}/records/friends``: the caller's friends board.

``global`` reads the all-time board or a calendar period (``friends.py``); a named board
its current period or a period id (``boards/friends.py``); an unknown board is 404.
"""

from __future__ import annotations

from typing import cast

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from scoreboard_project.errors import ValidationFailed
from scoreboard_project.inputs import validated
from scoreboard_project.limits import check_leaderboard_read
from scoreboard_project.responses import ok
from scoreboard_project.schema import envelope, errors

from . import friends
from .boards.friends import board_friends_records
from .periods import PERIODS, Period
from .shapes import FriendRecords

GLOBAL = "global"


class FriendsRecordsApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        period = serializers.CharField(
            default="current",
            max_length=64,
            help_text="`current` (the board's current period: all time on `global`); on `global` also "
            "`all`, `daily`, `weekly`, `monthly`; on a named board a period `id`",
        )

    @extend_schema(
        parameters=[InputSerializer, OpenApiParameter("key", OpenApiTypes.STR, OpenApiParameter.PATH)],
        summary="The caller and the players they follow, ranked among themselves",
        responses={
            200: envelope("FriendsRecordsResponse", FriendRecords),
            **errors(400, 401, 403, 404, 429, 503),
        },
    )
    def get(self, request, key: str):
        query = validated(self.InputSerializer, request.query_params)
        check_leaderboard_read(request)
        if key != GLOBAL:
            data: FriendRecords = {
                "records": board_friends_records(user=request.user, key=key, period=query["period"]),
            }
            return ok(data)
        period = "all" if query["period"] == "current" else query["period"]
        if period not in PERIODS:
            raise ValidationFailed(details={"period": [f"Expected current, {', '.join(PERIODS)}."]})
        data = {"records": friends.global_friends_board(user=request.user, period=cast(Period, period))}
        return ok(data)
