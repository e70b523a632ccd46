"""OpenAPI descriptions of the named leaderboard answers (inside the success envelope).

snake_case here: the schema's camelize hook turns the names into the answers' camelCase.
"""

from __future__ import annotations

from rest_framework import serializers

from scoreboard_project.schema import envelope

from .models import Leaderboard


class PeriodOutput(serializers.Serializer):
    id = serializers.CharField(help_text="opaque period id (`all` on the global board)")
    starts_at = serializers.DateTimeField(allow_null=True)
    ends_at = serializers.DateTimeField(allow_null=True, help_text="null: the board never resets and has no end")


class BoardOutput(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    operator = serializers.ChoiceField(choices=Leaderboard.Operator.values)
    sort_order = serializers.ChoiceField(choices=Leaderboard.SortOrder.values)
    action_types = serializers.ListField(child=serializers.CharField())
    reset_schedule = serializers.CharField(allow_null=True, help_text="5-field cron in `timezone`")
    timezone = serializers.CharField(help_text="IANA time zone name")
    starts_at = serializers.DateTimeField(allow_null=True)
    ends_at = serializers.DateTimeField(allow_null=True)
    total_players = serializers.IntegerField()
    period = PeriodOutput(help_text="the current period")


class BoardsOutput(serializers.Serializer):
    leaderboards = BoardOutput(many=True)


class RecordOutput(serializers.Serializer):
    rank = serializers.IntegerField(help_text="1 + the number of players with a strictly better score")
    user_id = serializers.UUIDField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    score = serializers.IntegerField()
    metadata = serializers.DictField(help_text="as the game server sent it")
    updated_at = serializers.DateTimeField(help_text="when the player reached this score")


class RecordWriteOutput(RecordOutput):
    previous_score = serializers.IntegerField(allow_null=True, help_text="null for the player's first record")
    previous_rank = serializers.IntegerField(allow_null=True)


class RecordsOutput(serializers.Serializer):
    records = RecordOutput(many=True)
    next_cursor = serializers.CharField(allow_null=True, help_text="null on the last page")
    total_players = serializers.IntegerField()
    period = PeriodOutput()


class AroundOutput(serializers.Serializer):
    records = RecordOutput(many=True)
    me = RecordOutput()


class FinishedPeriodOutput(PeriodOutput):
    total_players = serializers.IntegerField()
    top = RecordOutput(many=True, help_text="the first 3 records")


class PeriodsOutput(serializers.Serializer):
    periods = FinishedPeriodOutput(many=True)
    next_cursor = serializers.CharField(allow_null=True)


BOARD_RESPONSE = envelope("LeaderboardBoardResponse", BoardOutput())
BOARDS_RESPONSE = envelope("LeaderboardBoardsResponse", BoardsOutput())
RECORDS_RESPONSE = envelope("LeaderboardRecordsResponse", RecordsOutput())
RECORD_WRITE_RESPONSE = envelope("LeaderboardRecordWriteResponse", RecordWriteOutput())
AROUND_RESPONSE = envelope("LeaderboardRecordsAroundResponse", AroundOutput())
PERIODS_RESPONSE = envelope("LeaderboardPeriodsResponse", PeriodsOutput())
