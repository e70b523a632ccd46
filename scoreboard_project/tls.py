"""The TLS posture behind one setting, ``HTTPS_ONLY`` (README, "Settings").

Off (the default, for ``make run`` over plain HTTP), nothing here changes a response. On,
settings.py turns on HSTS, Secure cookies, the HTTPS redirect (health and metrics probes
exempt) and this module's Content-Security-Policy, and trusts the admin's own hosts as
HTTPS origins for CSRF. Whatever the setting, ``X-Forwarded-Proto`` counts only when the
peer is one of TRUSTED_PROXIES: from anyone else it is dropped before Django reads it, so
a client cannot claim HTTPS (``SECURE_PROXY_SSL_HEADER`` alone trusts every peer).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.deprecation import MiddlewareMixin

from .client_ip import is_trusted_proxy

PROTO_HEADER = "HTTP_X_FORWARDED_PROTO"

# Every page here loads its scripts and styles from /static/ and talks to its own origin
# (the live page's WebSocket included: 'self' covers ws(s) to the same host in CSP 3).
# Inline styles stay allowed for the admin's style attributes; inline scripts do not.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
# drf-spectacular's Swagger page boots from an inline <script>: that one page may run it.
DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "script-src 'self'", "script-src 'self' 'unsafe-inline'"
)
DOCS_PATH = "/api/docs/"


def https_origins(hosts: Iterable[str]) -> list[str]:
    """``https://`` origins of ALLOWED_HOSTS, for CSRF_TRUSTED_ORIGINS (``.example.com``
    becomes ``https://*.example.com``; ``*`` trusts nothing: name the hosts)."""
    origins = []
    for host in hosts:
        if host == "*" or not host:
            continue
        origins.append(f"https://*{host}" if host.startswith(".") else f"https://{host}")
    return origins


def https_only_settings(
    *, allowed_hosts: list[str], csrf_trusted_origins: list[str], hsts_seconds: int
) -> dict:
    """The settings HTTPS_ONLY=true turns on (``manage.py check --deploy`` is clean with them)."""
    return {
        "SECURE_SSL_REDIRECT": True,
        "SECURE_REDIRECT_EXEMPT": [r"^(healthz|readyz|metrics)$"],  # probes may speak plain HTTP
        "SECURE_HSTS_SECONDS": hsts_seconds,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        # The admin's form posts from its own https:// origin, also when a proxy ends TLS.
        "CSRF_TRUSTED_ORIGINS": [*csrf_trusted_origins, *https_origins(allowed_hosts)],
        "CONTENT_SECURITY_POLICY": CONTENT_SECURITY_POLICY,
    }


class TrustedProxyHeadersMiddleware(MiddlewareMixin):
    """Drops X-Forwarded-Proto from peers outside TRUSTED_PROXIES (before Security/CSRF)."""

    def process_request(self, request: HttpRequest) -> None:
        if PROTO_HEADER in request.META and not is_trusted_proxy(request.META.get("REMOTE_ADDR")):
            del request.META[PROTO_HEADER]


class ContentSecurityPolicyMiddleware(MiddlewareMixin):
    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            docs = request.path.startswith(DOCS_PATH)
            response["Content-Security-Policy"] = DOCS_CONTENT_SECURITY_POLICY if docs else policy
        return response
