"""Players in the admin: search, filter by status and score, read-only score and status.

``accounts`` imports no other app, so the ban/unban actions (which go through
``anticheat.moderation``) are added by ``anticheat/admin.py``, which registers
``ModeratedUserAdmin``, a subclass of this class, in its place.
"""

from __future__ import annotations

from typing import ClassVar

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Permission
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html

from .models import MODERATE_PERMISSION, User


class ScoreBandFilter(admin.SimpleListFilter):
    title = "score"
    parameter_name = "score_band"
    BANDS = {
        "zero": (None, 0),
        "1-999": (1, 999),
        "1000-9999": (1000, 9999),
        "10000-99999": (10000, 99999),
        "100000+": (100000, None),
    }

    def lookups(self, request, model_admin):  # noqa: ARG002 - Django's signature
        return [(key, "0" if key == "zero" else key) for key in self.BANDS]

    def queryset(self, request, queryset):  # noqa: ARG002 - Django's signature
        band = self.BANDS.get(self.value() or "")
        if band is None:
            return queryset
        low, high = band
        if low is None:
            return queryset.filter(score__lte=high)
        if high is None:
            return queryset.filter(score__gte=low)
        return queryset.filter(score__gte=low, score__lte=high)


class RoleFilter(admin.SimpleListFilter):
    title = "role"
    parameter_name = "role"

    def lookups(self, request, model_admin):  # noqa: ARG002 - Django's signature
        return [("user", "Player"), ("admin", "Admin"), ("system", "Game server")]

    def queryset(self, request, queryset):  # noqa: ARG002 - Django's signature
        admins = Q(is_superuser=True) | Q(is_staff=True, pk__in=moderation_permission_holders())
        if self.value() == "user":
            return queryset.filter(is_service_account=False).exclude(admins)
        if self.value() == "admin":
            return queryset.filter(admins, is_service_account=False)
        if self.value() == "system":
            return queryset.filter(is_service_account=True)
        return queryset


def moderation_permission_holders():
    """Ids of the accounts holding ``anticheat.moderate``, directly or through a group."""
    app_label, codename = MODERATE_PERMISSION.split(".")
    permission = Q(content_type__app_label=app_label, codename=codename)
    granted = Permission.objects.filter(permission)
    return User.objects.filter(Q(user_permissions__in=granted) | Q(groups__permissions__in=granted)).values(
        "pk"
    )


# Powers only a superuser hands out, and nobody changes on their own account.
PRIVILEGED_FIELDS = ("is_staff", "is_superuser", "is_service_account", "groups", "user_permissions")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display: tuple[str, ...] = (
        "username",
        "status_badge",
        "score",
        "total_actions",
        "score_updated_at",
        "role",
        "history_link",
    )
    list_filter = ("status", ScoreBandFilter, RoleFilter, "is_staff", "is_service_account")
    search_fields: ClassVar[tuple[str, ...]] = ("username", "email", "=id")
    ordering = ("-score", "score_updated_at")
    list_per_page = 50
    readonly_fields = (
        "id",
        "status",
        "score",
        "total_actions",
        "score_updated_at",
        "last_action_at",
        "history_link",
    )
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("Scoreboard", {"fields": readonly_fields + ("is_service_account",)}),
    )

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: User) -> str:
        colour = "#b91c1c" if obj.is_banned else "#047857"
        return format_html('<strong style="color: {}">{}</strong>', colour, obj.get_status_display())

    @admin.display(description="role")
    def role(self, obj: User) -> str:
        return obj.role

    @admin.display(description="score history")
    def history_link(self, obj: User) -> str:
        if obj.pk is None:
            return "-"
        url = reverse("admin:leaderboard_scorehistory_changelist")
        return format_html('<a href="{}?user={}">history</a>', url, obj.pk)

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser or (obj is not None and obj.pk == request.user.pk):
            fields += tuple(name for name in PRIVILEGED_FIELDS if name not in fields)
        return fields

    def has_change_permission(self, request, obj=None) -> bool:
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None or request.user.is_superuser:
            return allowed
        # A moderator (change_user, to ban) edits players only: changing a staff, superuser or
        # service account, its password included, would be a way to take over its powers.
        return not (obj.is_staff or obj.is_superuser or obj.is_service_account)

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ARG002 - Django's signature
        # Accounts carry the ledger and the audit trail: moderators ban, never delete.
        return False
