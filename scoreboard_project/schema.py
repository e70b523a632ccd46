"""OpenAPI helpers: the bearer scheme and the envelope around every documented answer."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from .errors import ErrorEnvelope
from .shapes import is_shape, serializer_for


class BearerAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.BearerAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


ERROR_ENVELOPE = serializer_for(ErrorEnvelope)()


def envelope(
    name: str, data: type | serializers.Serializer | dict[str, serializers.Field]
) -> serializers.Serializer:
    """``{"success": true, "data": <data>}`` as a named component; ``data`` may be a shape
    (``scoreboard_project.shapes``), a serializer or the fields of an inline one."""
    if isinstance(data, type) and is_shape(data):
        body: Any = serializer_for(data)()
    elif isinstance(data, dict):
        body = inline_serializer(f"{name}Data", fields=data)
    else:
        body = data
    return inline_serializer(name, fields={"success": serializers.BooleanField(default=True), "data": body})


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    return {status: OpenApiResponse(ERROR_ENVELOPE) for status in statuses}


# Path parameters as ``scoreboard_project.paths`` reads them (the view's keyword argument,
# camelCased in the schema): a player's UUID, a positive whole number.
USER_ID_PATH = OpenApiParameter(
    "user_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="the player's id"
)


def positive_id_path(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name, {"type": "integer", "minimum": 1}, OpenApiParameter.PATH, description=description
    )
