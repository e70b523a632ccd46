"""The moderator's admin: the flag queue, the audit trail, and ban/unban on players.

Every write here goes through ``anticheat.moderation``; the models themselves are
read-only in the admin (no add, change or delete), so nothing bypasses the services.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.contrib import admin
from django.db.models import Case, IntegerField, Value, When
from django.urls import reverse
from django.utils.html import format_html

from accounts.admin import UserAdmin
from accounts.models import User
from scoreboard_project.admin_base import ReadOnlyAdmin

from . import moderation
from .admin_actions import run_with_reason
from .display_name_moderation import display_name_moderate
from .models import AuditEntry, Flag


def pretty_json(value) -> str:
    """JSON for humans, escaped by format_html: player-supplied strings stay text."""
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>', text)


def user_link(user: User | None) -> str:
    if user is None:
        return "-"
    return format_html(
        '<a href="{}">{}</a>', reverse("admin:accounts_user_change", args=[user.pk]), user.username
    )


def _for_players(request, service: Callable[..., User]) -> Callable[[User, str, str | None], User]:
    """A moderation service as ``run_with_reason`` calls it, acting as the admin's user."""
    return lambda user, reason, ip: service(user=user, actor=request.user, reason=reason, client_ip=ip)


def _for_flags(request, service: Callable[..., Flag]) -> Callable[[Flag, str, str | None], Flag]:
    """A flag service as ``run_with_reason`` calls it (the reason is the note), acting as the admin's user."""
    return lambda flag, note, ip: service(flag=flag, actor=request.user, note=note, client_ip=ip)


admin.site.unregister(User)


@admin.register(User)
class ModeratedUserAdmin(UserAdmin):
    actions = ["ban_selected", "unban_selected", "reset_display_name_selected"]
    list_display = (UserAdmin.list_display[0], "display_name", *UserAdmin.list_display[1:])
    search_fields = (*UserAdmin.search_fields, "display_name")

    def get_readonly_fields(self, request, obj=None):
        return (*super().get_readonly_fields(request, obj), "display_name")

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        return fieldsets if obj is None else [*fieldsets, ("Display name", {"fields": ("display_name",)})]

    @admin.action(description="Reset display name of selected players…", permissions=["change"])
    def reset_display_name_selected(self, request, queryset):
        return run_with_reason(
            self,
            request,
            queryset,
            action="reset_display_name_selected",
            title="Reset display names",
            verb="reset the display name of",
            service=_for_players(request, display_name_moderate),
        )

    @admin.action(description="Ban selected players…", permissions=["change"])
    def ban_selected(self, request, queryset):
        return run_with_reason(
            self,
            request,
            queryset,
            action="ban_selected",
            title="Ban players",
            verb="ban",
            service=_for_players(request, moderation.player_ban),
        )

    @admin.action(description="Unban selected players…", permissions=["change"])
    def unban_selected(self, request, queryset):
        return run_with_reason(
            self,
            request,
            queryset,
            action="unban_selected",
            title="Unban players",
            verb="unban",
            service=_for_players(request, moderation.player_unban),
        )


@admin.register(Flag)
class FlagAdmin(ReadOnlyAdmin):
    list_actions = True  # approve / void in bulk, through the services
    list_display = (
        "id",
        "created_at",
        "player",
        "reason",
        "evidence_rule",
        "score_increment",
        "status",
        "resolved_by",
        "resolved_at",
    )
    list_filter = ("status", "reason", "created_at")
    search_fields = ("user__username", "=user__id", "resolution_note")
    list_select_related = ("user", "score_history", "resolved_by")
    readonly_fields = ("evidence_pretty", "player", "score_entry")
    exclude = ("evidence", "user", "score_history", "resolved_by")
    actions = ["approve_selected", "void_selected"]

    def get_queryset(self, request):
        # The queue first: open flags oldest first, then settled ones, newest first.
        return (
            super()
            .get_queryset(request)
            .annotate(
                open_first=Case(
                    When(status=Flag.Status.OPEN, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            .order_by("open_first", "created_at")
        )

    def get_readonly_fields(self, request, obj=None):  # noqa: ARG002 - Django's signature
        hidden = ("evidence", "user", "score_history", "resolved_by")
        fields = [f.name for f in self.model._meta.fields if f.name not in hidden]
        return ["player", "score_entry", "evidence_rule", "evidence_pretty", *fields, "resolved_by_link"]

    @admin.display(description="resolved by")
    def resolved_by_link(self, obj: Flag) -> str:
        return user_link(obj.resolved_by)

    @admin.display(description="player", ordering="user__username")
    def player(self, obj: Flag) -> str:
        return user_link(obj.user)

    @admin.display(description="increment")
    def score_increment(self, obj: Flag) -> int | None:
        return obj.score_history.increment if obj.score_history is not None else None

    @admin.display(description="score history entry")
    def score_entry(self, obj: Flag) -> str:
        if obj.score_history is None:
            return "-"
        url = reverse("admin:leaderboard_scorehistory_change", args=[obj.score_history_id])
        return format_html(
            '<a href="{}">#{} ({})</a>', url, obj.score_history_id, obj.score_history.increment
        )

    @admin.display(description="rule that fired")
    def evidence_rule(self, obj: Flag) -> str:
        return (obj.evidence or {}).get("rule") or "-"

    @admin.display(description="evidence")
    def evidence_pretty(self, obj: Flag) -> str:
        return pretty_json(obj.evidence)

    @admin.action(description="Approve selected flags (keep the score)…", permissions=["change"])
    def approve_selected(self, request, queryset):
        return run_with_reason(
            self,
            request,
            queryset,
            action="approve_selected",
            title="Approve flags",
            verb="approve",
            reason_label="Note",
            reason_required=False,
            service=_for_flags(request, moderation.flag_approve),
        )

    @admin.action(description="Void selected flags (reverse the score)…", permissions=["change"])
    def void_selected(self, request, queryset):
        return run_with_reason(
            self,
            request,
            queryset,
            action="void_selected",
            title="Void flags",
            verb="void",
            reason_label="Note",
            reason_required=False,
            service=_for_flags(request, moderation.flag_void),
        )


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "event", "code", "actor_link", "subject_link", "short_reason", "client_ip")
    list_filter = ("event", "code", "created_at")
    search_fields = ("subject__username", "actor__username", "=subject__id", "reason", "client_ip")
    list_select_related = ("actor", "subject")
    exclude = ("details", "actor", "subject")
    date_hierarchy = "created_at"
    show_full_result_count = False
    actions = None

    def get_readonly_fields(self, request, obj=None):  # noqa: ARG002 - Django's signature
        fields = [f.name for f in self.model._meta.fields if f.name not in ("details", "actor", "subject")]
        return ["actor_link", "subject_link", *fields, "details_pretty"]

    @admin.display(description="actor")
    def actor_link(self, obj: AuditEntry) -> str:
        return user_link(obj.actor) if obj.actor_id else "system"

    @admin.display(description="player")
    def subject_link(self, obj: AuditEntry) -> str:
        return user_link(obj.subject)

    @admin.display(description="reason")
    def short_reason(self, obj: AuditEntry) -> str:
        return obj.reason if len(obj.reason) <= 80 else obj.reason[:79] + "…"

    @admin.display(description="details")
    def details_pretty(self, obj: AuditEntry) -> str:
        return pretty_json(obj.details)
