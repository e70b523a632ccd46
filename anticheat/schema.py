"""OpenAPI descriptions of the moderation answers (the success envelope around them).

The answers themselves are built by ``selectors.*_data``; tests/anticheat check that
these serializers name exactly the keys those functions return.
"""

from __future__ import annotations

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from accounts.serializers import UserSummarySerializer


class ModeratedUserOutput(UserSummarySerializer):
    """The contract's ``user`` plus ``status``."""

    status = serializers.ChoiceField(choices=["active", "banned"])


class FlagOutput(serializers.Serializer):
    id = serializers.IntegerField()
    user_id = serializers.UUIDField()
    username = serializers.CharField()
    reason = serializers.CharField()
    evidence = serializers.JSONField()
    score_increment = serializers.IntegerField()
    score_history_id = serializers.IntegerField(allow_null=True)
    created_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=["open", "approved", "voided"])
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolved_by = serializers.UUIDField(allow_null=True)
    resolution_note = serializers.CharField()


class HistoryEntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=["action", "void"])
    increment = serializers.IntegerField()
    previous_score = serializers.IntegerField()
    new_score = serializers.IntegerField()
    action_id = serializers.UUIDField(allow_null=True)
    action_type = serializers.CharField()
    reference = serializers.CharField()
    completion_time_ms = serializers.IntegerField(allow_null=True)
    server_elapsed_ms = serializers.IntegerField(allow_null=True)
    signature = serializers.CharField()
    reverses = serializers.IntegerField(allow_null=True, help_text="id of the entry this one reverses")
    completed_by = serializers.UUIDField(allow_null=True)
    note = serializers.CharField()
    created_at = serializers.DateTimeField()
    hash = serializers.CharField(help_text="SHA-256 chained over the player's previous row (docs/ledger.md)")


def envelope(name: str, data: serializers.BaseSerializer) -> serializers.Serializer:
    return inline_serializer(name=name, fields={"success": serializers.BooleanField(default=True), "data": data})


USER_RESPONSE = envelope("ModeratedUserResponse", inline_serializer(
    name="ModeratedUserData", fields={"user": ModeratedUserOutput()}))
FLAG_RESPONSE = envelope("FlagResponse", FlagOutput())
FLAGS_RESPONSE = envelope("FlagListResponse", inline_serializer(
    name="FlagListData", fields={"flags": FlagOutput(many=True)}))
HISTORY_RESPONSE = envelope("PlayerHistoryResponse", inline_serializer(
    name="PlayerHistoryData", fields={"user": ModeratedUserOutput(), "history": HistoryEntryOutput(many=True)}))
