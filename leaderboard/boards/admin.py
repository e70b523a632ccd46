"""Named leaderboards in the admin: boards are created and edited through the services
(the same checks as the API); periods are read-only."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin

from scoreboard_project.admin_base import ReadOnlyAdmin

from . import services
from .inputs import RESERVED_KEYS
from .models import Leaderboard, LeaderboardPeriod, LeaderboardRecord, is_board_key
from .schedule import cron_error, timezone_error

EDITABLE = ("name", "operator", "sort_order", "action_types", "reset_schedule", "timezone", "ends_at")


class LeaderboardForm(forms.ModelForm):
    class Meta:
        model = Leaderboard
        fields = (
            "key",
            "name",
            "operator",
            "sort_order",
            "action_types",
            "reset_schedule",
            "timezone",
            "starts_at",
            "ends_at",
        )

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        if not is_board_key(key) or key in RESERVED_KEYS:
            raise forms.ValidationError("1-64 characters a-z, 0-9, _ and -; 'global' is reserved.")
        return key

    def clean_reset_schedule(self) -> str:
        value = (self.cleaned_data.get("reset_schedule") or "").strip()
        if value and (error := cron_error(value)):
            raise forms.ValidationError(error)
        return " ".join(value.split())

    def clean_timezone(self) -> str:
        value = self.cleaned_data["timezone"]
        if error := timezone_error(value):
            raise forms.ValidationError(error)
        return value

    def clean_action_types(self) -> list:
        value = self.cleaned_data.get("action_types") or []
        if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
            raise forms.ValidationError('A JSON list of action type codes, e.g. ["COMPLETE_LEVEL"].')
        return value

    def clean(self) -> dict:
        data = cast(dict[str, Any], super().clean())  # ModelForm.clean() returns cleaned_data
        board = self.instance
        if (
            board.pk
            and board.has_records
            and any(
                data.get(name) != getattr(board, name)
                for name in services.LOCKED_WHEN_RECORDED
                if name in data
            )
        ):
            raise forms.ValidationError("operator and sort order cannot change once the board has a record.")
        if data.get("action_types") and data.get("operator") != Leaderboard.Operator.INCR:
            self.add_error("action_types", "Only incr boards take action types.")
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", "Must be after the start.")
        return data


@admin.register(Leaderboard)
class LeaderboardAdmin(admin.ModelAdmin):
    form = LeaderboardForm
    list_display = (
        "key",
        "name",
        "operator",
        "sort_order",
        "reset_schedule",
        "timezone",
        "starts_at",
        "ends_at",
    )
    search_fields = ("key", "name")
    list_filter = ("operator", "sort_order")

    def get_readonly_fields(self, request, obj=None):  # noqa: ARG002 - Django's signature
        return ("key", "starts_at") if obj is not None else ()

    def save_model(self, request, obj, form, change) -> None:  # noqa: ARG002 - Django's signature
        data = form.cleaned_data
        if change:
            board = Leaderboard.objects.get(pk=obj.pk)
            saved = services.board_update(
                board=board, **{name: data[name] for name in EDITABLE if name in data}
            )
        else:
            saved = services.board_create(
                key=data["key"],
                name=data["name"],
                operator=data["operator"],
                **{
                    name: data[name]
                    for name in EDITABLE + ("starts_at",)
                    if name in data and name not in ("name", "operator")
                },
            )
        obj.pk = saved.pk

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ARG002 - records are kept for ever
        return False


@admin.register(LeaderboardPeriod)
class LeaderboardPeriodAdmin(ReadOnlyAdmin):
    list_display = ("board", "starts_at", "ends_at", "finished_at", "total_players")
    list_filter = ("board",)
    list_select_related = ("board",)
    ordering = ("board", "-starts_at")


@admin.register(LeaderboardRecord)
class LeaderboardRecordAdmin(ReadOnlyAdmin):
    list_display = ("board", "period_start", "user", "score", "reached_at")
    list_filter = ("board",)
    list_select_related = ("board", "user")
    search_fields = ("user__username", "=user__id")
    show_full_result_count = False
