"""Thin action APIs: parse the body's shape, call one service, answer with the envelope."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from anticheat.audit import audit_refusal
from anticheat.models import AuditEntry
from leaderboard.selectors import top_entries
from scoreboard_project.client_ip import client_ip
from scoreboard_project.errors import ApplicationError
from scoreboard_project.fields import MetadataField, StrictCharField, StrictIntegerField, StrictUUIDField
from scoreboard_project.inputs import validated
from scoreboard_project.parsers import AnyContentTypeJSONParser
from scoreboard_project.responses import ok
from scoreboard_project.schema import errors

from . import clock, services
from .catalog import action_types_list
from .schema import (
    ACTION_TYPES_RESPONSE,
    COMPLETION_RESPONSE,
    ISSUED_ACTION_RESPONSE,
    SCOREBOARD_UPDATE_RESPONSE,
)
from .scoring import Proof
from .shapes import ActionType, ActionTypes, Completion, IssuedAction, ScoreboardUpdate

METADATA_MAX_BYTES = 4096


class AuditedRefusals(APIView):
    """Every refusal of a signed-in caller is in the audit trail, written here from the
    envelope the caller gets: a body that is not valid or not JSON, a limit, a rule of the
    service. A refusal the service audited itself (a completion names the token's owner) is
    marked ``audited`` and not written twice."""

    audit_event = AuditEntry.Event.COMPLETION_REFUSED

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        user = vars(self.request).get("_user")  # known already; never authenticate again here
        if response.status_code >= 400 and not getattr(exc, "audited", False) and user is not None:
            if user.is_authenticated:
                error = response.data["error"]
                refusal = ApplicationError(
                    error["message"],
                    code=error["code"],
                    status=response.status_code,
                    details=error.get("details"),
                )
                audit_refusal(
                    actor=user,
                    subject_id=user.pk,
                    error=refusal,
                    client_ip=client_ip(self.request),
                    details={"path": self.request.path},
                    event=self.audit_event,
                )
        return response


class MetadataKeepingParser(AnyContentTypeJSONParser):
    """snake_cases the body's keys as every API does, but leaves ``metadata`` as the client sent it."""

    json_underscoreize = {**AnyContentTypeJSONParser.json_underscoreize, "ignore_fields": ("metadata",)}


class ProofSerializer(serializers.Serializer):
    completion_time = StrictIntegerField(min_value=0, max_value=2**31 - 1, required=False, allow_null=True)
    checksum = StrictCharField(max_length=128, required=False, allow_blank=True, allow_null=True)
    signature = StrictCharField(max_length=1024, required=False, allow_blank=True, default="")


class CompleteInputSerializer(serializers.Serializer):
    action_token = StrictCharField(max_length=2048, trim_whitespace=True)
    action_id = StrictUUIDField()
    proof = ProofSerializer(required=False, allow_null=True)


def _proof(data: dict | None) -> Proof | None:
    if data is None:
        return None
    return Proof(data.get("completion_time"), data.get("checksum"), data.get("signature") or "")


def _issued_data(issued: services.IssuedAction) -> IssuedAction:
    return {
        "action_token": issued.action_token,
        "action_id": str(issued.action_id),
        "expires_at": issued.expires_at,
        "expected_score": issued.expected_score,
        "proof_key": issued.proof_key,
    }


def _completion_data(done: services.Completion) -> Completion:
    """``rankChange`` = previousRank - rank (positive: moved up); null when either rank is
    null, i.e. the owner is not on the leaderboards (a staff account, say)."""
    change = done.change
    rank_change = None
    if change.previous_rank is not None and change.new_rank is not None:
        rank_change = change.previous_rank - change.new_rank  # positive: moved up
    return {
        "action_id": str(done.action_id),
        "score_increment": change.entry.increment,
        "previous_score": change.previous_score,
        "new_score": change.new_score,
        "rank": change.new_rank,
        "previous_rank": change.previous_rank,
        "rank_change": rank_change,
        "message": f"{done.action_type} completed: +{change.entry.increment} points.",
    }


class ActionTypesListApi(APIView):
    """Public; a caller's token is still read, so a game server (role system) is exempt from
    the per-IP limit here as everywhere."""

    @extend_schema(
        summary="The action types a player can request",
        responses={200: ACTION_TYPES_RESPONSE, **errors(429)},
    )
    def get(self, request):  # noqa: ARG002
        types: list[ActionType] = [
            {
                "action_type": t.code,
                "points": t.points,
                "min_duration_ms": t.min_duration_ms,
                "max_duration_ms": t.max_duration_ms,
                "repeatable": t.repeatable,
                "authoritative": t.authoritative,
                "daily_limit": t.daily_limit,
                "references": list(t.references) if t.references is not None else None,
            }
            for t in action_types_list()
        ]
        data: ActionTypes = {"action_types": types}
        return ok(data)


class ActionRequestApi(AuditedRefusals):
    audit_event = AuditEntry.Event.REQUEST_REFUSED
    permission_classes = [IsAuthenticated]
    parser_classes = [MetadataKeepingParser]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ActionRequestInput"

        action_type = StrictCharField(max_length=50)
        reference = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
        metadata = MetadataField(max_bytes=METADATA_MAX_BYTES, required=False, default=dict)

    @extend_schema(
        request=InputSerializer,
        summary="Start an action: a signed action token",
        responses={201: ISSUED_ACTION_RESPONSE, **errors(400, 401, 403, 409, 413, 429, 503)},
    )
    def post(self, request):
        issued = services.action_request(user=request.user, **validated(self.InputSerializer, request.data))
        return ok(_issued_data(issued), status=201)


class ActionInitializeApi(AuditedRefusals):
    """Alias of ``/actions/request``: ``actionId`` is the reference; ``userId`` must be the caller's."""

    audit_event = AuditEntry.Event.REQUEST_REFUSED
    permission_classes = [IsAuthenticated]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ActionInitializeInput"

        action_type = StrictCharField(max_length=50)
        action_id = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
        user_id = StrictUUIDField(required=False, allow_null=True)

    @extend_schema(
        request=InputSerializer,
        summary="Start an action (alias of /actions/request)",
        responses={201: ISSUED_ACTION_RESPONSE, **errors(400, 401, 403, 409, 413, 429, 503)},
    )
    def post(self, request):
        data = validated(self.InputSerializer, request.data)
        issued = services.action_request(
            user=request.user,
            action_type=data["action_type"],
            reference=data["action_id"],
            claimed_user_id=data.get("user_id"),
        )
        return ok(_issued_data(issued), status=201)


class ActionCompleteApi(AuditedRefusals):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=CompleteInputSerializer,
        summary="Complete an action and score it",
        responses={200: COMPLETION_RESPONSE, **errors(400, 401, 403, 409, 413, 422, 429, 503)},
    )
    def post(self, request):
        data = validated(CompleteInputSerializer, request.data)
        done = services.action_complete(
            user=request.user,
            token=data["action_token"],
            action_id=data["action_id"],
            proof=_proof(data.get("proof")),
            client_ip=client_ip(request),
            received_at=clock.received_at(request),
        )
        return ok(_completion_data(done))


class ScoreboardUpdateApi(AuditedRefusals):
    """Alias of ``/actions/complete``: ``proof`` optional; answers with the top 10 too."""

    permission_classes = [IsAuthenticated]

    class InputSerializer(CompleteInputSerializer):
        class Meta:
            ref_name = "ScoreboardUpdateInput"

        user_id = StrictUUIDField(required=False, allow_null=True)

    @extend_schema(
        request=InputSerializer,
        summary="Complete an action (alias of /actions/complete)",
        responses={200: SCOREBOARD_UPDATE_RESPONSE, **errors(400, 401, 403, 409, 413, 422, 429, 503)},
    )
    def post(self, request):
        data = validated(self.InputSerializer, request.data)
        done = services.action_complete(
            user=request.user,
            token=data["action_token"],
            action_id=data["action_id"],
            proof=_proof(data.get("proof")),
            require_proof=False,
            claimed_user_id=data.get("user_id"),
            client_ip=client_ip(request),
            received_at=clock.received_at(request),
        )
        data: ScoreboardUpdate = {
            **_completion_data(done),
            "user_id": str(done.owner.pk),
            "leaderboard": top_entries(10),
        }
        return ok(data)
