from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "email", "status", "score", "total_actions", "is_staff", "is_service_account")
    list_filter = ("status", "is_staff", "is_service_account")
    search_fields = ("username", "email", "id")
    ordering = ("-score",)
    readonly_fields = ("id", "score", "total_actions", "score_updated_at", "last_action_at", "status")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("Scoreboard", {"fields": readonly_fields + ("is_service_account",)}),
    )
