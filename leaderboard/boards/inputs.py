"""Input shapes of the named leaderboard APIs; every field is checked here (400 naming it)."""

from __future__ import annotations

from django.apps import apps
from rest_framework import serializers

from scoreboard_project.fields import (
    MetadataField,
    QueryIntegerField,
    StrictCharField,
    StrictIntegerField,
    StrictUUIDField,
)

from . import clock
from .models import SCORE_LIMIT, Leaderboard, is_board_key
from .schedule import cron_error, timezone_error

RESERVED_KEYS = frozenset({"global"})
METADATA_MAX_BYTES = 1024


class StrictChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class BoardFields(serializers.Serializer):
    """The editable fields; ``BoardCreateInput`` adds the key and requires what POST requires."""

    name = StrictCharField(min_length=1, max_length=100)
    operator = StrictChoiceField(choices=Leaderboard.Operator.values)
    sort_order = StrictChoiceField(choices=Leaderboard.SortOrder.values)
    action_types = serializers.ListField(child=StrictCharField(max_length=50), max_length=50)
    reset_schedule = StrictCharField(max_length=100, allow_null=True)
    timezone = StrictCharField(max_length=64)
    ends_at = serializers.DateTimeField(allow_null=True)

    def validate_action_types(self, value: list[str]) -> list[str]:
        known = set(apps.get_model("actions", "ActionType").objects.values_list("code", flat=True))
        unknown = sorted(set(value) - known)
        if unknown:
            raise serializers.ValidationError(f"Unknown action types: {', '.join(unknown)}.")
        return list(dict.fromkeys(value))

    def validate_reset_schedule(self, value: str | None) -> str | None:
        if value is None:
            return None
        error = cron_error(value)
        if error:
            raise serializers.ValidationError(error)
        return " ".join(value.split())

    def validate_timezone(self, value: str) -> str:
        error = timezone_error(value)
        if error:
            raise serializers.ValidationError(error)
        return value

    def check_together(self, attrs: dict, board: Leaderboard | None = None) -> dict:
        operator = attrs.get("operator", board.operator if board else None)
        action_types = attrs.get("action_types", board.action_types if board else None)
        if action_types and operator != Leaderboard.Operator.INCR:
            raise serializers.ValidationError({"action_types": ["Only incr boards take action types."]})
        starts_at = attrs.get("starts_at", board.starts_at if board else None)
        ends_at = attrs.get("ends_at", board.ends_at if board else None)
        if starts_at and ends_at and ends_at <= starts_at:
            raise serializers.ValidationError({"ends_at": ["Must be after startsAt."]})
        return attrs


class BoardCreateInput(BoardFields):
    class Meta:
        ref_name = "LeaderboardCreateInput"

    key = StrictCharField(max_length=64)
    sort_order = StrictChoiceField(choices=Leaderboard.SortOrder.values, default=Leaderboard.SortOrder.DESC)
    action_types = serializers.ListField(child=StrictCharField(max_length=50), max_length=50, default=list)
    reset_schedule = StrictCharField(max_length=100, allow_null=True, default=None)
    timezone = StrictCharField(max_length=64, default="UTC")
    starts_at = serializers.DateTimeField(allow_null=True, default=None)
    ends_at = serializers.DateTimeField(allow_null=True, default=None)

    def validate_key(self, value: str) -> str:
        if not is_board_key(value):
            raise serializers.ValidationError("1-64 characters: a-z, 0-9, underscore and hyphen.")
        if value in RESERVED_KEYS:
            raise serializers.ValidationError(f"{value!r} is reserved.")
        return value

    def validate(self, attrs: dict) -> dict:
        ends_at = attrs.get("ends_at")
        if ends_at is not None and attrs.get("starts_at") is None and ends_at <= clock.now():
            # The season would start now (its first period) and have ended already.
            raise serializers.ValidationError({"ends_at": ["Must be in the future, or after startsAt."]})
        return self.check_together(attrs)


class BoardUpdateInput(BoardFields):
    class Meta:
        ref_name = "LeaderboardUpdateInput"

    def __init__(self, *args, board: Leaderboard | None = None, **kwargs) -> None:
        super().__init__(*args, partial=True, **kwargs)
        self.board = board

    def validate(self, attrs: dict) -> dict:
        return self.check_together(attrs, self.board)


class RecordWriteInput(serializers.Serializer):
    class Meta:
        ref_name = "LeaderboardRecordWriteInput"

    user_id = StrictUUIDField()
    score = StrictIntegerField(min_value=-SCORE_LIMIT, max_value=SCORE_LIMIT)
    metadata = MetadataField(max_bytes=METADATA_MAX_BYTES, required=False, default=None)


class PeriodQuery(serializers.Serializer):
    period = StrictCharField(max_length=20, default="current")


class RecordsQuery(PeriodQuery):
    limit = QueryIntegerField(min_value=1, max_value=1000, default=50)
    cursor = StrictCharField(max_length=200, required=False)


class AroundQuery(PeriodQuery):
    radius = QueryIntegerField(min_value=0, max_value=50, default=5)


class PeriodsQuery(serializers.Serializer):
    limit = QueryIntegerField(min_value=1, max_value=100, default=20)
    cursor = StrictCharField(max_length=200, required=False)
