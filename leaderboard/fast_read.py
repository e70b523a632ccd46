"""GET /leaderboard's common case answered on the event loop, before Django.

When this process holds the pre-serialized response of a board (``read_cache``), an
anonymous ``GET /api/v1/leaderboard`` (or ``/scoreboard/top``) with an ordinary query
is answered here: ONE Redis Lua call checks that the held response is still current
and, only then, counts the request's two limits (per IP per hour, leaderboard reads per
minute); the held bytes or the 429 go out with exactly the headers Django's middleware
and DRF would have added. No thread hop, no middleware stack, no DRF dispatch.

Everything else goes to Django unchanged, and before anything is counted: another
method, path or query, a token, a cookie, an ``Origin`` (CORS), a body, an ``Accept``
DRF would refuse, a host Django would refuse, the HTTPS redirect, an open database
breaker, a held response that is missing, outdated or due for reconciliation, and any
Redis error. ``tests/leaderboard/test_fast_read.py`` compares both answers.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import uuid
import weakref
from dataclasses import dataclass

import redis.asyncio as aredis
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from redis.exceptions import NoScriptError

from scoreboard_project import db_breaker, limit_counter, metrics
from scoreboard_project.client_ip import is_trusted_proxy, resolve_client_ip
from scoreboard_project.errors import RateLimitExceeded, error_body
from scoreboard_project.limits import POLICIES
from scoreboard_project.logging import request_id_var
from scoreboard_project.middleware import SAFE_REQUEST_ID
from scoreboard_project.redis_client import redis_key
from scoreboard_project.tls import PROTO_HEADER

from . import ranking, read_cache
from .periods import window_for
from .redis_store import Keys
from .views import fast_query

logger = logging.getLogger("django.request")  # where Django logs a 4xx
PATHS = frozenset({"/api/v1/leaderboard", "/api/v1/scoreboard/top"})
_QUERY = re.compile(r"^(?:(?:period|limit)=[a-z0-9]+(?:&(?:period|limit)=[a-z0-9]+)?)?$")
_JSON_ACCEPTS = frozenset({"*/*", "application/*", "application/json", "*/json"})
_FALL_THROUGH = frozenset({b"authorization", b"cookie", b"origin", b"transfer-encoding"})
ALLOW = b"GET, HEAD, OPTIONS"  # what DRF's APIView announces for this view

# KEYS: board ready marker, version key, then the limit windows; ARGV: the held version, the
# windows' TTLs (ms). {0}: the held response is not current (nothing counted); else {1, counts...}.
_SCRIPT = """
local ready = redis.call('GET', KEYS[1])
if not ready then return {0} end
if (redis.call('GET', KEYS[2]) or '0') .. ':' .. ready ~= ARGV[1] then return {0} end
local out = {1}
for i = 3, #KEYS do
  local count = redis.call('INCR', KEYS[i])
  if count == 1 then redis.call('PEXPIRE', KEYS[i], ARGV[i - 1]) end
  out[i - 1] = count
end
return out
"""
_SHA = hashlib.sha1(_SCRIPT.encode()).hexdigest()  # noqa: S324 - Redis names scripts so


@dataclass(frozen=True)
class _Plan:
    path: str
    held: read_cache.Held
    bucket: str
    client: str
    request_id: str
    secure: bool


def _headers(scope) -> dict[bytes, bytes] | None:
    """The request's headers by name; None when one we read is repeated."""
    found: dict[bytes, bytes] = {}
    for name, value in scope.get("headers", ()):
        name = name.lower()
        if name in found:
            return None
        found[name] = value
    return found


def _accepts_json(accept: bytes | None) -> bool:
    """DRF's negotiation picks the JSON renderer (the only one) for this Accept."""
    if accept is None:
        return True
    return any(part.split(";", 1)[0].strip().lower() in _JSON_ACCEPTS for part in accept.decode("latin-1").split(","))


def _host_allowed(headers: dict[bytes, bytes]) -> bool:
    host = headers.get(b"host")
    if host is None or settings.DEBUG or settings.USE_X_FORWARDED_HOST:
        return False  # Django's own rules (SERVER_NAME, DEBUG's defaults): let it judge
    domain, _port = split_domain_port(host.decode("latin-1"))
    return bool(domain) and validate_host(domain, settings.ALLOWED_HOSTS)


def _is_secure(scope, headers: dict[bytes, bytes], peer: str) -> bool | None:
    """``request.is_secure()`` after TrustedProxyHeadersMiddleware (None: not our settings)."""
    header, secure_value = settings.SECURE_PROXY_SSL_HEADER or (PROTO_HEADER, None)
    if header != PROTO_HEADER:
        return None
    forwarded = headers.get(b"x-forwarded-proto")
    if forwarded is not None and secure_value is not None and is_trusted_proxy(peer):
        return forwarded.decode("latin-1").split(",", 1)[0].strip() == secure_value
    return scope.get("scheme", "http") == "https"


def plan(scope) -> _Plan | None:
    """What to answer from, or None: Django answers (nothing has been counted)."""
    if scope["method"] != "GET" or scope["path"] not in PATHS or scope.get("root_path"):
        return None
    raw_query = scope.get("query_string", b"").decode("latin-1")
    if not _QUERY.match(raw_query):
        return None
    params = dict(part.split("=", 1) for part in raw_query.split("&") if part)
    if raw_query.count("=") != len(params):
        return None  # a repeated key: QueryDict's rules
    query = fast_query(params)
    headers = _headers(scope)
    if query is None or headers is None or _FALL_THROUGH.intersection(headers):
        return None
    if headers.get(b"content-length", b"0") != b"0" or not _accepts_json(headers.get(b"accept")):
        return None
    if not settings.LEADERBOARD_PUBLIC or db_breaker.is_open() or read_cache.full_read_due():
        return None
    if not _host_allowed(headers) or settings.DISALLOWED_USER_AGENTS:
        return None
    peer = (scope.get("client") or ("", 0))[0]
    secure = _is_secure(scope, headers, peer)
    if secure is None or (settings.SECURE_SSL_REDIRECT and not secure):
        return None
    bucket = window_for(query["period"]).bucket
    held = read_cache.held_response(bucket, query["limit"])
    if held is None:
        return None
    forwarded_for = headers.get(b"x-forwarded-for")
    client = resolve_client_ip(peer or None, forwarded_for.decode("latin-1") if forwarded_for else None)
    incoming = headers.get(b"x-request-id", b"").decode("latin-1")
    request_id = incoming if SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    return _Plan(scope["path"], held, bucket, client, request_id, secure)


def _response_headers(plan_: _Plan, content_type: bytes, length: int) -> list[tuple[bytes, bytes]]:
    """What Django's middleware and DRF add to this view's answer, in the same settings."""
    headers = [(b"content-type", content_type), (b"vary", b"origin"), (b"allow", ALLOW),
               (b"x-request-id", plan_.request_id.encode()), (b"content-length", str(length).encode())]
    if settings.SECURE_HSTS_SECONDS and plan_.secure:
        sts = f"max-age={settings.SECURE_HSTS_SECONDS}"
        sts += "; includeSubDomains" if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS else ""
        sts += "; preload" if settings.SECURE_HSTS_PRELOAD else ""
        headers.append((b"strict-transport-security", sts.encode()))
    if settings.SECURE_CONTENT_TYPE_NOSNIFF:
        headers.append((b"x-content-type-options", b"nosniff"))
    for name, value in ((b"referrer-policy", settings.SECURE_REFERRER_POLICY),
                        (b"cross-origin-opener-policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY)):
        if value:
            headers.append((name, (value if isinstance(value, str) else ",".join(value)).encode()))
    if getattr(settings, "CONTENT_SECURITY_POLICY", ""):
        headers.append((b"content-security-policy", settings.CONTENT_SECURITY_POLICY.encode()))
    headers.append((b"x-frame-options", getattr(settings, "X_FRAME_OPTIONS", "DENY").upper().encode()))
    return headers


_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aredis.Redis] = weakref.WeakKeyDictionary()


def _client() -> aredis.Redis:
    """One asyncio client per event loop (daphne runs one per process)."""
    loop = asyncio.get_running_loop()
    found = _clients.get(loop)
    if found is None:
        found = _clients[loop] = aredis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=2, decode_responses=True)
    return found


async def _run(keys: list[str], args: list) -> list[int]:
    client = _client()
    try:
        return await client.evalsha(_SHA, len(keys), *keys, *args)
    except NoScriptError:
        return await client.eval(_SCRIPT, len(keys), *keys, *args)


class FastLeaderboardRead:
    """ASGI wrapper: the held leaderboard answered here when ``plan`` allows, else ``app``."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        chosen = plan(scope) if scope["type"] == "http" and settings.REDIS_URL else None
        if chosen is None or not ranking.redis_store_enabled():
            await self.app(scope, receive, send)
            return
        hits = [(POLICIES["ip.hour"], chosen.client), (POLICIES["leaderboard.read"], f"ip:{chosen.client}")]
        windows = [limit_counter.Window(f"{policy.scope}:{key}", policy.period) for policy, key in hits]
        now = limit_counter.clock()
        keys = [Keys.of(chosen.bucket).ready, read_cache.version_key(),
                *(redis_key("rl", w.name, str(w.index(now))) for w in windows)]
        try:
            answer = await _run(keys, [chosen.held.version, *(int(w.seconds_left(now) * 1000) + 1000 for w in windows)])
        except ranking.REDIS_ERRORS:
            answer = [0]
        if not int(answer[0]):
            await self.app(scope, receive, send)
            return
        refused = [(w.seconds_left(now), policy.scope)
                   for (policy, _), w, n in zip(hits, windows, answer[1:], strict=True) if int(n) > policy.count]
        if refused:
            await self._refuse(chosen, refused, send)
            return
        metrics.api_requests.labels(method="GET", status="200").inc()
        await _send(send, 200, _response_headers(chosen, b"application/json", len(chosen.held.content)),
                    chosen.held.content)

    async def _refuse(self, chosen: _Plan, refused: list[tuple[float, str]], send) -> None:
        for _, scope in refused:
            metrics.rate_limit_violations.labels(scope=scope).inc()
        wait, scope = max(refused)
        exc = RateLimitExceeded(wait, scope=scope)
        body = read_cache.JSONRenderer().render(error_body(exc.code, exc.message, exc.details))
        headers = _response_headers(chosen, b"application/json", len(body))
        headers.append((b"retry-after", str(exc.retry_after).encode()))
        metrics.api_requests.labels(method="GET", status="429").inc()
        token = request_id_var.set(chosen.request_id)
        try:
            logger.warning("%s: %s", "Too Many Requests", chosen.path)
        finally:
            request_id_var.reset(token)
        await _send(send, 429, headers, body)


async def _send(send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
