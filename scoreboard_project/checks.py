"""Start-up checks for settings that fail silently when wrong."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register


@register()
def token_blacklist_installed(app_configs, **kwargs):
    """Refresh rotation without the blacklist app silently lets old refresh tokens live on."""
    if "rest_framework_simplejwt.token_blacklist" not in settings.INSTALLED_APPS:
        return [
            Error(
                "rest_framework_simplejwt.token_blacklist must be installed: refresh tokens rotate "
                "and a rotated or logged-out token has to stop working.",
                id="scoreboard.E001",
            )
        ]
    return []


@register()
def action_token_secrets_present(app_configs, **kwargs):
    if not settings.ACTION_TOKEN_SECRETS:
        return [Error("ACTION_TOKEN_SECRETS lists no secret.", id="scoreboard.E002")]
    return []
