"""OpenAPI descriptions of the action answers (the success envelope around them).

The answers themselves are built in ``views`` (``_issued_data``, ``_completion_data``);
field names are snake_case here and in the views, camelCased on the way out.
"""

from __future__ import annotations

from rest_framework import serializers

from leaderboard.schema import LeaderboardEntryOutput
from scoreboard_project.schema import envelope


class ActionTypeOutput(serializers.Serializer):
    action_type = serializers.CharField()
    points = serializers.IntegerField()
    min_duration_ms = serializers.IntegerField()
    max_duration_ms = serializers.IntegerField()
    repeatable = serializers.BooleanField()
    authoritative = serializers.BooleanField(help_text="only a caller with role `system` may complete it")
    daily_limit = serializers.IntegerField(
        allow_null=True, help_text="completions per player per UTC day (counted at request); null: none of its own"
    )
    references = serializers.ListField(
        child=serializers.CharField(), allow_null=True, help_text="the allowed references; null: any"
    )


class ActionTypesOutput(serializers.Serializer):
    action_types = ActionTypeOutput(many=True)


class IssuedActionOutput(serializers.Serializer):
    action_token = serializers.CharField(help_text="signed action token, accepted once")
    action_id = serializers.UUIDField()
    expires_at = serializers.DateTimeField()
    expected_score = serializers.IntegerField(help_text="the points completing the action scores")
    proof_key = serializers.CharField(help_text="hex key of the proof's HMAC-SHA256 checksum")


class CompletionOutput(serializers.Serializer):
    action_id = serializers.UUIDField()
    score_increment = serializers.IntegerField()
    previous_score = serializers.IntegerField()
    new_score = serializers.IntegerField()
    rank = serializers.IntegerField(
        allow_null=True, help_text="null when the owner is not on the leaderboards"
    )
    previous_rank = serializers.IntegerField(allow_null=True)
    rank_change = serializers.IntegerField(
        allow_null=True, help_text="previousRank - rank (positive: moved up); null when either rank is null"
    )
    message = serializers.CharField()


class ScoreboardUpdateOutput(CompletionOutput):
    user_id = serializers.UUIDField(help_text="the player the score went to")
    leaderboard = LeaderboardEntryOutput(many=True, help_text="the current all-time top 10")


ACTION_TYPES_RESPONSE = envelope("ActionTypesResponse", ActionTypesOutput())
ISSUED_ACTION_RESPONSE = envelope("IssuedActionResponse", IssuedActionOutput())
COMPLETION_RESPONSE = envelope("CompletionResponse", CompletionOutput())
SCOREBOARD_UPDATE_RESPONSE = envelope("ScoreboardUpdateResponse", ScoreboardUpdateOutput())
