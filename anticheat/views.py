"""Moderation APIs for game operators' tools: role ``admin`` only."""

from __future__ import annotations

from collections.abc import Callable

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Role, User
from scoreboard_project.client_ip import client_ip
from scoreboard_project.errors import ValidationFailed
from scoreboard_project.fields import StrictCharField
from scoreboard_project.inputs import validated
from scoreboard_project.paths import path_id, path_uuid
from scoreboard_project.responses import ok
from scoreboard_project.schema import USER_ID_PATH, errors, positive_id_path

from . import moderation, selectors
from .models import Flag
from .schema import FLAG_RESPONSE, FLAGS_RESPONSE, HISTORY_RESPONSE, USER_RESPONSE
from .shapes import FlagListData, ModeratedUserData, PlayerHistoryData


class IsModerator(BasePermission):
    """Role ``admin``. DRF answers 401 when nobody authenticated, 403 FORBIDDEN otherwise."""

    message = "Only moderators (role admin) may do this."

    def has_permission(self, request, view) -> bool:  # noqa: ARG002 - DRF's signature
        user = request.user
        return bool(user is not None and getattr(user, "role", None) == Role.ADMIN.value)


class ModerationApi(APIView):
    permission_classes = [IsModerator]


FLAG_ID_PATH = positive_id_path("flag_id", "the flag's id")


class ReasonInput(serializers.Serializer):
    reason = StrictCharField(max_length=moderation.MAX_TEXT_LENGTH)


class NoteInput(serializers.Serializer):
    note = StrictCharField(max_length=moderation.MAX_TEXT_LENGTH, required=False, allow_blank=True)


def _moderate_player(request: Request, user_id: str, service: Callable[..., User]) -> Response:
    """Ban or unban: the player from the path, the reason from the body, the moderated player back."""
    user = selectors.user_get(path_uuid(user_id, field="userId"))
    data = validated(ReasonInput, request.data)
    user = service(user=user, actor=request.user, reason=data["reason"], client_ip=client_ip(request))
    answer: ModeratedUserData = {"user": selectors.moderated_user_data(user)}
    return ok(answer)


def _settle_flag(request: Request, flag_id: str, service: Callable[..., Flag]) -> Response:
    """Approve or void: the flag from the path, the note from the body, the settled flag back."""
    flag = selectors.flag_get(path_id(flag_id, field="flagId"))
    data = validated(NoteInput, request.data)
    flag = service(flag=flag, actor=request.user, note=data.get("note", ""), client_ip=client_ip(request))
    return ok(selectors.flag_data(flag))


class PlayerBanApi(ModerationApi):
    @extend_schema(
        request=ReasonInput,
        responses={200: USER_RESPONSE, **errors(400, 401, 403, 404, 409, 429, 503)},
        summary="Ban a player",
        parameters=[USER_ID_PATH],
    )
    def post(self, request, user_id: str):
        return _moderate_player(request, user_id, moderation.player_ban)


class PlayerUnbanApi(ModerationApi):
    @extend_schema(
        request=ReasonInput,
        responses={200: USER_RESPONSE, **errors(400, 401, 403, 404, 429, 503)},
        summary="Lift a ban",
        parameters=[USER_ID_PATH],
    )
    def post(self, request, user_id: str):
        return _moderate_player(request, user_id, moderation.player_unban)


class PlayerHistoryApi(ModerationApi):
    @extend_schema(
        responses={200: HISTORY_RESPONSE, **errors(400, 401, 403, 404, 429, 503)},
        summary="A player's score history, newest first",
        parameters=[USER_ID_PATH],
    )
    def get(self, request, user_id: str):  # noqa: ARG002 - Django's signature
        user = selectors.user_get(path_uuid(user_id, field="userId"))
        history = [selectors.history_entry_data(entry) for entry in selectors.user_history(user=user)]
        answer: PlayerHistoryData = {"user": selectors.moderated_user_data(user), "history": history}
        return ok(answer)


class FlagListApi(ModerationApi):
    @extend_schema(
        responses={200: FLAGS_RESPONSE, **errors(400, 401, 403, 429, 503)},
        summary="The flag queue",
        parameters=[OpenApiParameter("status", enum=Flag.Status.values, default=Flag.Status.OPEN)],
    )
    def get(self, request):  # noqa: ARG002 - Django's signature
        status = request.query_params.get("status", Flag.Status.OPEN)
        if status not in Flag.Status.values:
            raise ValidationFailed(details={"status": [f"One of {', '.join(Flag.Status.values)}."]})
        answer: FlagListData = {
            "flags": [selectors.flag_data(flag) for flag in selectors.flag_list(status=status)]
        }
        return ok(answer)


class FlagApproveApi(ModerationApi):
    @extend_schema(
        request=NoteInput,
        responses={200: FLAG_RESPONSE, **errors(400, 401, 403, 404, 409, 429, 503)},
        summary="Approve a flag: the score stands",
        parameters=[FLAG_ID_PATH],
    )
    def post(self, request, flag_id: str):
        return _settle_flag(request, flag_id, moderation.flag_approve)


class FlagVoidApi(ModerationApi):
    @extend_schema(
        request=NoteInput,
        responses={200: FLAG_RESPONSE, **errors(400, 401, 403, 404, 409, 429, 503)},
        summary="Void a flag: the score is reversed",
        parameters=[FLAG_ID_PATH],
    )
    def post(self, request, flag_id: str):
        return _settle_flag(request, flag_id, moderation.flag_void)
