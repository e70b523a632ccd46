"""The ledger in the admin: read-only, linked from the player."""

from __future__ import annotations

import uuid

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html

from accounts.models import User
from scoreboard_project.admin_base import ReadOnlyAdmin

from . import ledger
from .models import LedgerRoot, ScoreHistory


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@admin.register(ScoreHistory)
class ScoreHistoryAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "player",
        "kind",
        "increment",
        "previous_score",
        "new_score",
        "action_type",
        "reference",
        "reverses_link",
        "short_hash",
    )
    list_filter = ("kind", "action_type", "created_at")
    search_fields = ("user__username", "=user__id", "reference", "=action_id")
    list_select_related = ("user", "reverses")
    ordering = ("-created_at", "-id")
    date_hierarchy = "created_at"
    show_full_result_count = False

    def changelist_view(self, request, extra_context=None):
        """Filtered on one player (the "history" link of a player), say whether their chain verifies."""
        user_id = request.GET.get("user") or request.GET.get("user__id__exact")
        if user_id:
            user = User.objects.filter(pk=_uuid_or_none(user_id)).first() if _uuid_or_none(user_id) else None
            if user is not None:
                broken = ledger.verify_player(user)
                if broken is None:
                    messages.success(request, f"Ledger chain of {user.username}: verifies.")
                else:
                    messages.error(request, f"Ledger chain of {user.username}: BROKEN: {broken}")
        return super().changelist_view(request, extra_context)

    @admin.display(description="hash")
    def short_hash(self, obj: ScoreHistory) -> str:
        return format_html('<code title="{}">{}…</code>', obj.hash, obj.hash[:12])

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


@admin.register(LedgerRoot)
class LedgerRootAdmin(ReadOnlyAdmin):
    list_display = ("day", "root", "players", "rows", "recorded_at")
    ordering = ("-day",)


from .boards import admin as _boards_admin  # noqa: E402,F401 - registers the named leaderboards
