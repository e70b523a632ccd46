"""``GET /leaderboards/{key}/records/friends``: the caller's friends board.

Only ``global`` exists until named boards do (any other key: 404 NOT_FOUND); the
selector (``friends.py``) is generic over the ranking, so a named board plugs in here.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from scoreboard_project.errors import NotFound
from scoreboard_project.inputs import validated
from scoreboard_project.limits import check_leaderboard_read
from scoreboard_project.responses import ok
from scoreboard_project.schema import envelope, errors

from . import friends
from .periods import PERIODS

GLOBAL = "global"

FRIEND_RECORD = inline_serializer("FriendRecord", fields={
    "rank": serializers.IntegerField(help_text="rank among the caller and their friends (ties share it)"),
    "board_rank": serializers.IntegerField(help_text="rank on the whole board"),
    "user_id": serializers.UUIDField(),
    "username": serializers.CharField(),
    "display_name": serializers.CharField(),
    "score": serializers.IntegerField(),
    "metadata": serializers.JSONField(allow_null=True, help_text="null on the global board"),
    "updated_at": serializers.DateTimeField(),
})


class FriendsRecordsApi(APIView):
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        period = serializers.ChoiceField(
            choices=("current", *PERIODS), default="current",
            help_text="`current` (the board's current period: all time on `global`), or on `global` "
            "`all`, `daily`, `weekly`, `monthly`",
        )

    @extend_schema(
        parameters=[InputSerializer, OpenApiParameter("key", OpenApiTypes.STR, OpenApiParameter.PATH)],
        summary="The caller and the players they follow, ranked among themselves",
        responses={200: envelope("FriendsRecords", {"records": serializers.ListField(child=FRIEND_RECORD)}),
                   **errors(400, 401, 403, 404, 429, 503)},
    )
    def get(self, request, key: str):
        if key != GLOBAL:
            raise NotFound("No such leaderboard.")
        query = validated(self.InputSerializer, request.query_params)
        check_leaderboard_read(request)
        period = "all" if query["period"] == "current" else query["period"]
        return ok({"records": friends.global_friends_board(user=request.user, period=period)})
