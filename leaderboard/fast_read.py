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

What the settings decide is read once into ``Config`` (again after a setting changes in
a test); Redis is reached through ``redis_pipe`` (one pipelined connection per loop).
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass

from scoreboard_project import db_breaker, limit_counter, metrics
from scoreboard_project.client_ip import is_trusted_proxy, resolve_client_ip
from scoreboard_project.errors import RateLimitExceeded, error_body
from scoreboard_project.limits import POLICIES
from scoreboard_project.logging import request_id_var
from scoreboard_project.middleware import SAFE_REQUEST_ID
from scoreboard_project.redis_pipe import RedisReplyError, Script

from . import read_cache
from .fast_read_config import Config, config, host_allowed, ready_key
from .periods import window_for
from .views import fast_query

logger = logging.getLogger("django.request")  # where Django logs a 4xx
PATHS = frozenset({"/api/v1/leaderboard", "/api/v1/scoreboard/top"})
_QUERY = re.compile(r"^(?:(?:period|limit)=[a-z0-9]+(?:&(?:period|limit)=[a-z0-9]+)?)?$")
_JSON_ACCEPTS = frozenset({"*/*", "application/*", "application/json", "*/json"})
_FALL_THROUGH = frozenset({b"authorization", b"cookie", b"origin", b"transfer-encoding"})
IP, READ = POLICIES["ip.hour"], POLICIES["leaderboard.read"]  # what DRF's throttle counts for a read

# KEYS: board ready marker, version key, then the limit windows; ARGV: the held version, then
# ``limit_counter.take_args``. {0}: the held response is not current (nothing counted); else
# {1, each window's wait in ms...} (all 0: the read is counted and answered here).
_SCRIPT = Script(
    limit_counter.TAKE_LUA
    + """
local ready = redis.call('GET', KEYS[1])
if not ready then return {0} end
if (redis.call('GET', KEYS[2]) or '0') .. ':' .. ready ~= ARGV[1] then return {0} end
local keys, args = {}, {}
for i = 3, #KEYS do keys[#keys + 1] = KEYS[i] end
for i = 2, #ARGV do args[#args + 1] = ARGV[i] end
local out = {1}
for _, wait in ipairs(take(keys, args, false)) do out[#out + 1] = wait end
return out
"""
)


@dataclass(frozen=True)
class _Plan:
    path: str
    held: read_cache.Held
    bucket: str
    client: str
    request_id: str
    secure: bool


def _headers(scope) -> dict[bytes, bytes] | None:
    """The request's headers by name; None when one is repeated (Django would join them)."""
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
    return any(
        part.split(";", 1)[0].strip().lower() in _JSON_ACCEPTS for part in accept.decode("latin-1").split(",")
    )


def _is_secure(scope, forwarded: bytes | None, peer: str, secure_value: str | None) -> bool:
    """``request.is_secure()`` after TrustedProxyHeadersMiddleware."""
    if forwarded is not None and secure_value is not None and is_trusted_proxy(peer):
        return forwarded.decode("latin-1").split(",", 1)[0].strip() == secure_value
    return scope.get("scheme", "http") == "https"


def plan(scope, conf: Config) -> _Plan | None:
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
    if (
        db_breaker.is_open()
        or read_cache.reconciliation_due()
        or not host_allowed(headers.get(b"host"), conf.allowed_hosts)
    ):
        return None
    peer = (scope.get("client") or ("", 0))[0]
    secure = _is_secure(scope, headers.get(b"x-forwarded-proto"), peer, conf.secure_value)
    if conf.ssl_redirect and not secure:
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


class FastLeaderboardRead:
    """ASGI wrapper: the held leaderboard answered here when ``plan`` allows, else ``app``."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        conf = config()
        chosen = plan(scope, conf) if conf.enabled and scope["type"] == "http" else None
        if chosen is None:
            await self.app(scope, receive, send)
            return
        now = limit_counter.clock()
        windows = [
            limit_counter.Window(f"{IP.scope}:{chosen.client}", IP.period, conf.ip_limit),
            limit_counter.Window(f"{READ.scope}:ip:{chosen.client}", READ.period, conf.read_limit),
        ]
        keys = [
            ready_key(chosen.bucket),
            conf.version_key,
            *(limit_counter.window_key(w.name) for w in windows),
        ]
        try:
            answer = await _SCRIPT(
                conf.redis_url, keys, [chosen.held.version, *limit_counter.take_args(windows, now)]
            )
        except (RedisReplyError, ConnectionError, OSError):
            answer = [0]
        if not answer[0]:
            await self.app(scope, receive, send)
            return
        refused = [
            (int(wait_ms) / 1000, name)
            for name, wait_ms in zip((IP.scope, READ.scope), answer[1:], strict=True)
            if int(wait_ms) > 0
        ]
        if refused:
            await self._refuse(chosen, conf, refused, send)
            return
        _counter(200).inc()
        content = chosen.held.content
        await _send(send, 200, _response_headers(chosen, conf, len(content)), content)

    async def _refuse(self, chosen: _Plan, conf: Config, refused: list[tuple[float, str]], send) -> None:
        for _, scope in refused:
            metrics.rate_limit_violations.labels(scope=scope).inc()
        wait, scope = max(refused)
        exc = RateLimitExceeded(wait, scope=scope)
        body = read_cache.JSONRenderer().render(error_body(exc.code, exc.message, exc.details))
        headers = _response_headers(chosen, conf, len(body))
        headers.append((b"retry-after", str(exc.retry_after).encode()))
        _counter(429).inc()
        token = request_id_var.set(chosen.request_id)
        try:
            logger.warning("%s: %s", "Too Many Requests", chosen.path)
        finally:
            request_id_var.reset(token)
        await _send(send, 429, headers, body)


def _response_headers(chosen: _Plan, conf: Config, length: int) -> list[tuple[bytes, bytes]]:
    return [
        *(conf.secure_headers if chosen.secure else conf.plain_headers),
        (b"x-request-id", chosen.request_id.encode()),
        (b"content-length", b"%d" % length),
    ]


_counters: dict[int, object] = {}


def _counter(status: int):
    """RequestMetricsMiddleware's counter for this answer (the child, looked up once)."""
    found = _counters.get(status)
    if found is None:
        found = _counters[status] = metrics.api_requests.labels(method="GET", status=str(status))
    return found


async def _send(send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
