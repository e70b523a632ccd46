"""The caller's own profile: ``PATCH /users/me`` (display name)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from scoreboard_project.errors import ValidationFailed
from scoreboard_project.inputs import validated
from scoreboard_project.responses import ok
from scoreboard_project.schema import envelope, errors

from .display_names import MAX_LENGTH, clean_display_name, display_name_set
from .ranks import user_summary
from .shapes import Profile


class DisplayNameField(serializers.CharField):
    """A display name, validated by ``accounts.display_names`` (NFC, 1-32, no control/format)."""

    def to_internal_value(self, data):
        try:
            return clean_display_name(data)
        except ValidationFailed as exc:
            raise serializers.ValidationError((exc.details or {}).get("displayName", exc.message)) from None


class MeApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema_serializer(component_name="ProfileInput")
    class InputSerializer(serializers.Serializer):
        display_name = DisplayNameField(
            required=False,
            min_length=1,
            max_length=MAX_LENGTH,
            help_text=f"1-{MAX_LENGTH} characters after NFC normalisation: letters of any script, digits, "
            "spaces, punctuation and symbols; no control, format or bidirectional-override characters",
        )

    @extend_schema(
        request=InputSerializer,
        summary="Change the caller's display name",
        responses={200: envelope("ProfileResponse", Profile), **errors(400, 401, 403, 413, 429)},
    )
    def patch(self, request):
        data = validated(self.InputSerializer, request.data)
        user = request.user
        if "display_name" in data:
            user = display_name_set(user=user, display_name=data["display_name"])
        data: Profile = {"user": user_summary(user)}
        return ok(data)
