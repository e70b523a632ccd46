"""The action catalog (editable, bounds validated) and action tokens (read-only)."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from scoreboard_project.admin_base import ReadOnlyAdmin

from .models import ActionToken, ActionType

MAX_DURATION_CAP_MS = 24 * 60 * 60 * 1000


class ActionTypeForm(forms.ModelForm):
    class Meta:
        model = ActionType
        fields = ["code", "points", "min_duration_ms", "max_duration_ms", "repeatable", "authoritative", "enabled"]

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().upper()
        if not code.replace("_", "").isalnum():
            raise forms.ValidationError("Letters, digits and underscores only, e.g. COMPLETE_LEVEL.")
        return code

    def clean_points(self) -> int:
        points = self.cleaned_data["points"]
        if points < 1:
            raise forms.ValidationError("An action is worth at least 1 point.")
        return points

    def clean(self):
        data = super().clean()
        low, high = data.get("min_duration_ms"), data.get("max_duration_ms")
        if low is not None and high is not None:
            if high < low:
                self.add_error("max_duration_ms", "Must be at least the minimum duration.")
            if high > MAX_DURATION_CAP_MS:
                self.add_error("max_duration_ms", "At most 24 hours (86400000 ms).")
        return data


@admin.register(ActionType)
class ActionTypeAdmin(admin.ModelAdmin):
    form = ActionTypeForm
    list_display = ("code", "points", "min_duration_ms", "max_duration_ms", "repeatable", "authoritative", "enabled")
    list_filter = ("enabled", "repeatable", "authoritative")
    search_fields = ("code",)

    def get_readonly_fields(self, request, obj=None):  # noqa: ARG002 - Django's signature
        # Ledger rows name the type by code: renaming it would orphan them. Disable instead.
        return ("code",) if obj is not None else ()

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ARG002 - Django's signature
        return False


@admin.register(ActionToken)
class ActionTokenAdmin(ReadOnlyAdmin):
    list_display = ("id", "user", "action_type", "points", "created_at", "expires_at", "used_at", "outcome")
    list_filter = ("outcome", "action_type")
    search_fields = ("=id", "user__username", "reference")
    list_select_related = ("user", "action_type")
    exclude = hidden_fields = ("proof_key",)  # a per-action secret: never shown
    ordering = ("-created_at",)
    show_full_result_count = False
