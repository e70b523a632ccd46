"""Output shapes of the accounts API, for the OpenAPI schema."""

from rest_framework import serializers


class UserSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    username = serializers.CharField()
    display_name = serializers.CharField(help_text="what the boards show; the username when none is set")
    score = serializers.IntegerField()
    rank = serializers.IntegerField(allow_null=True)
    role = serializers.ChoiceField(choices=["user", "admin", "system"])


class TokenPairSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="access token (JWT, 1 hour)")
    refresh_token = serializers.CharField(help_text="refresh token (JWT, 7 days, rotated on use)")
    expires_at = serializers.DateTimeField(help_text="expiry of the access token")


class SessionSerializer(TokenPairSerializer):
    user = UserSummarySerializer()
