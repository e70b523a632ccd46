"""OpenAPI descriptions of the leaderboard answers: the success envelope around the shapes
of ``shapes.py`` (the selectors build them), and the SSE stream's stand-in view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from accounts.authentication import BearerAuthentication
from scoreboard_project.schema import envelope, errors
from scoreboard_project.shapes import serializer_for

from .shapes import LeaderboardAround, LeaderboardTop, MyScore, PlayerScore

PUBLIC_NOTE = (
    "Public while the setting LEADERBOARD_PUBLIC is true (the default); otherwise a bearer token is required."
)

# public* endpoints: a bearer token, or none while LEADERBOARD_PUBLIC is true
# drf-spectacular's hint for ``auth`` says names; it takes security requirement objects too.
PUBLIC_AUTH: Any = [{"bearerAuth": []}, {}]


LEADERBOARD_RESPONSE = envelope("LeaderboardResponse", serializer_for(LeaderboardTop)())
AROUND_ME_RESPONSE = envelope("LeaderboardAroundMeResponse", serializer_for(LeaderboardAround)())
MY_SCORE_RESPONSE = envelope("MyScoreResponse", serializer_for(MyScore)())
PLAYER_SCORE_RESPONSE = envelope("PlayerScoreResponse", serializer_for(PlayerScore)())


class LeaderboardStreamSchemaView(APIView):
    """Stands in for ``sse.leaderboard_stream`` (a plain async view) in the schema only."""

    authentication_classes = [BearerAuthentication]
    permission_classes = [AllowAny]

    @extend_schema(
        summary="The top 10 as Server-Sent Events",
        description=(
            "`event: leaderboard:update` frames whose `data` is the WebSocket event's "
            '(`{"leaderboard": [...top 10], "updatedAt"}`): one on connect, then one per change; '
            "a comment line every 15 s. `?board={key}` streams a named board (default `global`; "
            "404 for an unknown board). " + PUBLIC_NOTE
        ),
        responses={
            (200, "text/event-stream"): OpenApiResponse(
                OpenApiTypes.STR, description="an endless event stream"
            ),
            **errors(401, 403),
        },
    )
    def get(self, request):  # pragma: no cover - never routed; the schema reads its decorator
        raise NotImplementedError


def documented_by(view_class: type[APIView]) -> Callable:
    """Lets the schema generator describe a plain Django view through ``view_class``.

    The generator only lists callbacks with a ``cls`` that is an APIView; the view itself
    is returned unchanged and Django still calls it directly.
    """

    def decorate(view: Callable) -> Callable:
        view.cls = view_class  # type: ignore[attr-defined]  # what as_view() sets
        view.initkwargs = {}  # type: ignore[attr-defined]
        return view

    return decorate
