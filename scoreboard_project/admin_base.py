"""A read-only admin: the ledger, the audit trail, tokens and flags are never edited by hand."""

from __future__ import annotations

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """Listing and detail pages only. With ``list_actions`` the changelist keeps its
    actions (which call services and need the change right), but no row has an edit form."""

    list_actions = False
    hidden_fields: tuple[str, ...] = ()

    def get_readonly_fields(self, request, obj=None):  # noqa: ARG002 - Django's signature
        fields = [f.name for f in self.model._meta.fields if f.name not in self.hidden_fields]
        return fields + [name for name in self.readonly_fields if name not in fields]

    def has_add_permission(self, request) -> bool:  # noqa: ARG002 - Django's signature
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return self.list_actions and obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:  # noqa: ARG002 - Django's signature
        return False
