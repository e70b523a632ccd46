"""The action catalog (editable, bounds validated) and action tokens (read-only)."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from scoreboard_project.admin_base import ReadOnlyAdmin

from .models import CATALOG_FIELDS, ActionToken, ActionType, references_problem

MAX_DURATION_CAP_MS = 24 * 60 * 60 * 1000


class ActionTypeForm(forms.ModelForm):
    class Meta:
        model = ActionType
        fields = list(CATALOG_FIELDS)

    references = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One allowed reference per line; empty: any reference is allowed.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.references is not None:
            self.initial["references"] = "\n".join(self.instance.references)

    def clean_references(self) -> list[str] | None:
        lines = [line.strip() for line in (self.cleaned_data.get("references") or "").splitlines()]
        lines = [line for line in lines if line]
        if not lines:
            return None
        problem = references_problem(lines)
        if problem:
            raise forms.ValidationError(problem[0].upper() + problem[1:] + ".")
        return lines

    def clean_daily_limit(self) -> int | None:
        limit = self.cleaned_data.get("daily_limit")
        if limit is not None and limit < 1:
            raise forms.ValidationError("At least 1 per day; leave it empty for no cap of its own.")
        return limit

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
    list_display = (
        "code",
        "points",
        "min_duration_ms",
        "max_duration_ms",
        "repeatable",
        "authoritative",
        "daily_limit",
        "enabled",
    )
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
