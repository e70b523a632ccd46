"""Admin actions that ask for a reason on an intermediate page, then call a service.

The first POST (from the changelist's action menu) renders a form listing the selected
objects; the second POST (``apply``) validates the reason and calls the service once
per object, so the admin runs exactly the code the REST API runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from scoreboard_project.client_ip import client_ip
from scoreboard_project.errors import ApplicationError

from .moderation import MAX_TEXT_LENGTH


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=MAX_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=f"Written to the audit trail. At most {MAX_TEXT_LENGTH} characters.",
    )

    def __init__(self, *args: Any, required: bool = True, label: str = "Reason", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = required
        self.fields["reason"].label = label


def run_with_reason(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    action: str,
    title: str,
    verb: str,
    service: Callable[..., Any],
    reason_label: str = "Reason",
    reason_required: bool = True,
) -> HttpResponse | None:
    """``service(obj, reason, client_ip)`` for each selected object, after asking why."""
    if "apply" in request.POST:
        form = ReasonForm(request.POST, required=reason_required, label=reason_label)
        if form.is_valid():
            _apply(
                model_admin, request, queryset, verb=verb, service=service, reason=form.cleaned_data["reason"]
            )
            return None  # back to the changelist
    else:
        form = ReasonForm(required=reason_required, label=reason_label)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "verb": verb,
        "objects": list(queryset),
        "form": form,
        "action": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "opts": model_admin.model._meta,
        "select_across": request.POST.get("select_across", "0"),
    }
    return TemplateResponse(request, "admin/anticheat/reason_form.html", context)


def _apply(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    verb: str,
    service: Callable[..., Any],
    reason: str,
) -> None:
    done: list[Model] = []
    for obj in queryset:
        try:
            service(obj, reason, client_ip(request))
        except ApplicationError as exc:
            model_admin.message_user(request, f"{obj}: {exc.message}", messages.WARNING)
        else:
            done.append(obj)
    if done:
        names = ", ".join(str(obj) for obj in done[:10]) + (" …" if len(done) > 10 else "")
        model_admin.message_user(request, f"{verb.capitalize()}: {names}.", messages.SUCCESS)
