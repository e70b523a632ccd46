"""``/users/me/friends``: list, follow, unfollow."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from scoreboard_project.paths import path_uuid
from scoreboard_project.responses import ok
from scoreboard_project.schema import envelope, errors

from . import friends
from .shapes import Friends

FRIEND_ID = OpenApiParameter(
    "user_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="the player's id"
)


class FriendsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The players the caller follows",
        responses={200: envelope("FriendsResponse", Friends), **errors(401, 403, 429)},
    )
    def get(self, request):
        data: Friends = {
            "friends": [friends.friend_data(friend) for friend in friends.friends_of(request.user)]
        }
        return ok(data)


class FriendApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        parameters=[FRIEND_ID],
        summary=f"Follow a player (idempotent; at most {friends.MAX_FRIENDS})",
        responses={200: envelope("FriendAdded", {}), **errors(400, 401, 403, 404, 409, 429)},
    )
    def put(self, request, user_id: str):
        friends.friend_add(user=request.user, friend_id=path_uuid(user_id, field="userId"))
        return ok({})

    @extend_schema(
        request=None,
        parameters=[FRIEND_ID],
        summary="Stop following a player",
        responses={200: envelope("FriendRemoved", {}), **errors(400, 401, 403, 429)},
    )
    def delete(self, request, user_id: str):
        friends.friend_remove(user=request.user, friend_id=path_uuid(user_id, field="userId"))
        return ok({})
