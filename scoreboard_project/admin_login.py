"""The admin's login form under the API's login limit (docs/api.md: 5 attempts per 15 minutes
per (client IP, username), the admin's form counting against the same limit).

This wraps ``admin.site.login`` rather than adding django-axes: the limit, its key (the
ASCII-folded login name) and its fail mode already live in ``scoreboard_project.limits``,
and calling the same ``check_login_attempt`` makes both doors spend one allowance, which
a second library with its own counters and lockout rules would not.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect

from .client_ip import client_ip
from .errors import RateLimitExceeded, ServiceUnavailable, plain_refusal
from .limits import check_login_attempt


@never_cache
@csrf_protect
def admin_login(request: HttpRequest, extra_context=None) -> HttpResponse:
    if request.method == "POST":
        try:
            check_login_attempt(client_ip=client_ip(request), username=request.POST.get("username", ""))
        except RateLimitExceeded as exc:
            return plain_refusal(exc, f"Too many login attempts; try again in {exc.retry_after} seconds.")
        except ServiceUnavailable as exc:
            return plain_refusal(exc)
    return admin.site.login(request, extra_context)
