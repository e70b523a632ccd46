"""What the settings decide for ``fast_read``, read once (and again after a test changes one).

``static_headers`` lists what Django's middleware and DRF add to ``GET /leaderboard``'s
answer besides the request id and the length: CORS's ``Vary``, DRF's ``Allow``, the
security middleware's headers (HSTS over HTTPS only), the CSP and ``X-Frame-Options``.
``tests/leaderboard/test_fast_read.py`` holds it to Django's answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.signals import setting_changed
from django.http.request import split_domain_port, validate_host

from scoreboard_project import redis_pipe
from scoreboard_project.limits import POLICIES
from scoreboard_project.tls import PROTO_HEADER

from . import ranking, read_cache
from .redis_store import Keys

ALLOW = b"GET, HEAD, OPTIONS"  # what DRF's APIView announces for this view


@dataclass(frozen=True)
class Config:
    """The settings this path depends on, read once."""

    enabled: bool
    allowed_hosts: tuple[str, ...]
    secure_value: str | None
    ssl_redirect: bool
    plain_headers: tuple[tuple[bytes, bytes], ...]  # added to every answer over plain HTTP
    secure_headers: tuple[tuple[bytes, bytes], ...]  # and over HTTPS
    ip_limit: int
    read_limit: int
    redis_url: str
    version_key: str


def static_headers(secure: bool) -> tuple[tuple[bytes, bytes], ...]:
    """What Django's middleware and DRF add to this view's answer, besides the id and length."""
    headers = [(b"content-type", b"application/json"), (b"vary", b"origin"), (b"allow", ALLOW)]
    if settings.SECURE_HSTS_SECONDS and secure:
        sts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        sts += "; includeSubDomains" if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS else ""
        sts += "; preload" if settings.SECURE_HSTS_PRELOAD else ""
        headers.append((b"strict-transport-security", sts.encode()))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append((b"x-content-type-options", b"nosniff"))
    for name, value in (
        (b"referrer-policy", settings.SECURE_REFERRER_POLICY),
        (b"cross-origin-opener-policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY),
    ):
        if value:
            headers.append((name, (value if isinstance(value, str) else ",".join(value)).encode()))
    if settings.CONTENT_SECURITY_POLICY:
        headers.append((b"content-security-policy", settings.CONTENT_SECURITY_POLICY.encode()))
    headers.append((b"x-frame-options", settings.X_FRAME_OPTIONS.upper().encode()))
    return tuple(headers)


def _build_config() -> Config:
    header, secure_value = settings.SECURE_PROXY_SSL_HEADER or (PROTO_HEADER, None)
    url = settings.REDIS_URL or ""
    enabled = (
        redis_pipe.usable(url)
        and ranking.redis_store_enabled()
        and settings.LEADERBOARD_PUBLIC
        and not settings.DEBUG
        and not settings.USE_X_FORWARDED_HOST
        and not settings.DISALLOWED_USER_AGENTS
        and header == PROTO_HEADER
    )  # else Django's own rules apply: let it judge
    return Config(
        enabled,
        tuple(settings.ALLOWED_HOSTS),
        secure_value,
        bool(settings.SECURE_SSL_REDIRECT),
        static_headers(False),
        static_headers(True),
        POLICIES["ip.hour"].count,
        POLICIES["leaderboard.read"].count,
        url,
        read_cache.version_key(),
    )


_config: Config | None = None
_hosts: dict[bytes, bool] = {}
_ready_keys: dict[str, str] = {}


def config() -> Config:
    global _config
    if _config is None:
        _config = _build_config()
    return _config


def _forget_config(**_kwargs) -> None:
    global _config
    _config = None
    _hosts.clear()
    _ready_keys.clear()


setting_changed.connect(_forget_config)


def host_allowed(host: bytes | None, allowed: tuple[str, ...]) -> bool:
    """``request.get_host()`` would not raise (CommonMiddleware calls it)."""
    if host is None:
        return False  # Django would build it from SERVER_NAME: let it
    known = _hosts.get(host)
    if known is None:
        domain, _port = split_domain_port(host.decode("latin-1"))
        known = bool(domain) and validate_host(domain, allowed)
        if len(_hosts) < 64:
            _hosts[host] = known
    return known


def ready_key(bucket: str) -> str:
    found = _ready_keys.get(bucket)
    if found is None:
        found = _ready_keys[bucket] = Keys.of(bucket).ready
    return found
