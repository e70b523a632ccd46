"""The ledger in the admin: read-only, linked from the player."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from scoreboard_project.admin_base import ReadOnlyAdmin

from .models import ScoreHistory


@admin.register(ScoreHistory)
class ScoreHistoryAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at", "player", "kind", "increment", "previous_score", "new_score", "action_type",
        "reference", "reverses_link",
    )
    list_filter = ("kind", "action_type", "created_at")
    search_fields = ("user__username", "=user__id", "reference", "=action_id")
    list_select_related = ("user", "reverses")
    ordering = ("-created_at", "-id")
    date_hierarchy = "created_at"
    show_full_result_count = False

    @admin.display(description="player", ordering="user__username")
    def player(self, obj: ScoreHistory) -> str:
        url = reverse("admin:accounts_user_change", args=[obj.user_id])
        return format_html('<a href="{}">{}</a>', url, obj.user.username)

    @admin.display(description="reverses")
    def reverses_link(self, obj: ScoreHistory) -> str:
        if obj.reverses_id is None:
            return "-"
        url = reverse("admin:leaderboard_scorehistory_change", args=[obj.reverses_id])
        return format_html('<a href="{}">#{}</a>', url, obj.reverses_id)
from .boards import admin as _boards_admin  # noqa: E402,F401 - registers the named leaderboards
