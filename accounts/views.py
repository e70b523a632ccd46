"""Thin auth APIs: parse, call one service, answer with the envelope."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from scoreboard_project.client_ip import client_ip
from scoreboard_project.fields import StrictCharField, StrictEmailField, StrictRegexField
from scoreboard_project.inputs import validated
from scoreboard_project.responses import ok
from scoreboard_project.schema import envelope, errors

from . import services
from .models import USERNAME_PATTERN, User
from .ranks import user_summary
from .shapes import Session
from .shapes import TokenPair as TokenPairData
from .tokens import TokenPair


def _pair_data(pair: TokenPair) -> TokenPairData:
    return {"token": pair.access, "refresh_token": pair.refresh, "expires_at": pair.expires_at}


def _session_data(user: User, pair: TokenPair) -> Session:
    return {"user": user_summary(user), **_pair_data(pair)}


class RegisterApi(APIView):
    authentication_classes: list = []

    @extend_schema_serializer(component_name="RegisterInput")
    class InputSerializer(serializers.Serializer):
        username = StrictRegexField(USERNAME_PATTERN, max_length=50, trim_whitespace=False)
        email = StrictEmailField(max_length=254)
        password = StrictCharField(min_length=8, max_length=128, trim_whitespace=False)

    @extend_schema(
        request=InputSerializer,
        summary="Register a player",
        responses={201: envelope("Registered", Session), **errors(400, 409, 413, 429)},
    )
    def post(self, request):
        user, pair = services.player_register(**validated(self.InputSerializer, request.data))
        return ok(_session_data(user, pair), status=201)


class LoginApi(APIView):
    authentication_classes: list = []

    @extend_schema_serializer(component_name="LoginInput")
    class InputSerializer(serializers.Serializer):
        username = StrictCharField(max_length=150)
        password = StrictCharField(max_length=1024, trim_whitespace=False)

    @extend_schema(
        request=InputSerializer,
        summary="Log in",
        responses={200: envelope("LoggedIn", Session), **errors(400, 401, 403, 429)},
    )
    def post(self, request):
        user, pair = services.player_login(
            **validated(self.InputSerializer, request.data), client_ip=client_ip(request)
        )
        return ok(_session_data(user, pair))


class RefreshTokenInput(serializers.Serializer):
    refresh_token = StrictCharField(max_length=2048)


class RefreshApi(APIView):
    authentication_classes: list = []

    @extend_schema(
        request=RefreshTokenInput,
        summary="Rotate a refresh token",
        responses={200: envelope("Refreshed", TokenPairData), **errors(400, 401, 403)},
    )
    def post(self, request):
        pair = services.token_refresh(**validated(RefreshTokenInput, request.data))
        return ok(_pair_data(pair))


class LogoutApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=RefreshTokenInput,
        summary="Log out: revoke the refresh token (its session) and the calling access token",
        responses={200: envelope("LoggedOut", {}), **errors(400, 401, 403)},
    )
    def post(self, request):
        data = validated(RefreshTokenInput, request.data)
        services.player_logout(user=request.user, access_token=request.auth, **data)
        return ok({})
