"""Every limit of the service, in one place (docs/api.md, "Limits"; docs/security.md).

The tables below are the whole policy: what is limited, per what key, how much, and
what happens when Redis cannot count (``fail``: ``open`` lets the request through,
``closed`` answers 503). The mechanisms live beside it: ``limit_counter`` (fixed
windows, one Lua call), ``leaderboard/ws_limits`` (leases of open sockets and streams),
the consumer (message size and flood) and the body-size guard (``body_limit``).

One request, one round trip: DRF's throttle (``RequestLimits``) counts the per-IP
limit together with the endpoint's own limit when it knows the key (reads), or leaves
the per-IP hit pending for the service that learns the key (the token's owner, the
login name) and counts everything there in the same call.
"""

from __future__ import annotations

import contextvars
import logging
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from redis.exceptions import RedisError
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from . import limit_counter, metrics
from .client_ip import client_ip
from .errors import RateLimitExceeded, ServiceUnavailable, plain_refusal

logger = logging.getLogger("scoreboard.ratelimits")
OPEN, CLOSED = "open", "closed"
SYSTEM_ROLE = "system"


@dataclass(frozen=True)
class Policy:
    """``setting`` events per ``period`` seconds per key; ``fail`` when Redis is down."""

    scope: str
    setting: str
    period: int
    fail: str
    key: str

    @property
    def count(self) -> int:
        return int(getattr(settings, self.setting))


# --- The table: counted limits (sliding windows, limit_counter) -------------------------------
POLICIES: dict[str, Policy] = {
    p.scope: p
    for p in (
        Policy("ip.hour", "RATE_LIMIT_IP_PER_HOUR", 3600, OPEN, "client IP (role system exempt)"),
        Policy("leaderboard.read", "RATE_LIMIT_LEADERBOARD_PER_MINUTE", 60, OPEN, "account, else client IP"),
        Policy("score.me", "RATE_LIMIT_SCORE_PER_MINUTE", 60, OPEN, "account"),
        Policy("actions.request.minute", "RATE_LIMIT_REQUESTS_PER_MINUTE", 60, CLOSED, "account"),
        Policy("actions.complete.second", "RATE_LIMIT_ACTIONS_PER_SECOND", 1, CLOSED, "the token's owner"),
        Policy("actions.complete.minute", "RATE_LIMIT_ACTIONS_PER_MINUTE", 60, CLOSED, "the token's owner"),
        Policy("actions.complete.hour", "RATE_LIMIT_ACTIONS_PER_HOUR", 3600, CLOSED, "the token's owner"),
        Policy("actions.complete.day", "RATE_LIMIT_ACTIONS_PER_DAY", 86400, CLOSED, "the token's owner"),
        Policy(
            "auth.login",
            "RATE_LIMIT_LOGIN_PER_15_MINUTES",
            900,
            CLOSED,
            "(client IP, ASCII-folded lower-case username); /auth/login and /admin/login/ together",
        ),
    )
}
COMPLETION_SCOPES = (
    "actions.complete.second",
    "actions.complete.minute",
    "actions.complete.hour",
    "actions.complete.day",
)


@dataclass(frozen=True)
class Cap:
    """At most ``setting`` held at once (leases in ws_limits); ``fail`` when Redis is down."""

    scope: str
    setting: str
    fail: str
    key: str
    window: int = 0  # > 0: new ones per window (seconds) instead of open at once


# --- The table: caps on open sockets and streams (leaderboard/ws_limits) -----------------------
CAPS: dict[str, Cap] = {
    c.scope: c
    for c in (
        Cap("ws.user.open", "WS_MAX_CONNECTIONS_PER_USER", CLOSED, "account (sockets; close 4429)"),
        Cap("ws.user.new", "WS_NEW_CONNECTIONS_PER_5_MINUTES", CLOSED, "account (close 4429)", window=300),
        Cap(
            "stream.anonymous.ip",
            "WS_MAX_ANONYMOUS_PER_IP",
            OPEN,
            "client IP: anonymous sockets (close 4429) and SSE streams (429)",
        ),
    )
}

# --- The table: in-process limits (no store, so no fail mode) ----------------------------------
WS_MAX_MESSAGE_BYTES = 4096  # a bigger client message closes the socket (1009)
WS_FLOOD_RATE, WS_FLOOD_BURST = 10.0, 20.0  # client messages per second sustained / burst (1008)
# HTTP bodies: settings.MAX_BODY_BYTES (64 KiB), refused on Content-Length or while streaming (413).


def cap_count(scope: str) -> int:
    return int(getattr(settings, CAPS[scope].setting))


# --- Counting -----------------------------------------------------------------------------------
Hit = tuple[Policy, str]


@dataclass
class _RequestState:
    counted: set[str] = field(default_factory=set)
    pending: list[Hit] = field(default_factory=list)
    throttled: bool = False


_state: contextvars.ContextVar[_RequestState | None] = contextvars.ContextVar("limits_state", default=None)


class LimitScopeMiddleware:
    """Gives each request its own record of what was counted (and resets it after).

    Also counts the live page (``/``, rendered from the board like a read) against the
    per-IP limit: it is outside DRF, so no throttle sees it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        token = _state.set(_RequestState())
        try:
            if request.path == "/":
                try:
                    enforce(_ip_hits(request))
                except RateLimitExceeded as exc:
                    return plain_refusal(exc, f"Too many requests; try again in {exc.retry_after} seconds.")
            return self.get_response(request)
        finally:
            _state.reset(token)


def enforce(hits: list[Hit], *, each: bool = False) -> None:
    """Count ``hits`` and the request's pending ones in one call; 429 past any limit.

    Sliding windows (``limit_counter``): at most a policy's count in any span of its period.
    A refused request counts in no window, so the wait it is told holds (``each``: it counts
    in every window that has room, for an attempt refused already for another reason); the
    refusal names the full window with the longest wait. A store that cannot count answers
    503 if any limit in the call fails closed, and lets the request through otherwise.
    """
    state = _state.get()
    if state is not None:
        hits, state.pending = state.pending + hits, []
        state.counted.update(policy.scope for policy, _ in hits)
    if not hits:
        return
    windows = [
        limit_counter.Window(f"{policy.scope}:{key}", policy.period, policy.count) for policy, key in hits
    ]
    try:
        waits = limit_counter.take(windows, each=each)
    except (RedisError, OSError) as exc:
        closed = sorted({policy.scope for policy, _ in hits if policy.fail == CLOSED})
        if closed:
            logger.warning("Limits %s fail closed: the store is unavailable (%s)", closed, exc)
            raise ServiceUnavailable("Rate limits cannot be checked right now; try again shortly.") from exc
        logger.warning("Limits %s fail open: the store is unavailable", [p.scope for p, _ in hits])
        return
    refused = [(wait, policy.scope) for (policy, _), wait in zip(hits, waits, strict=True) if wait > 0]
    if refused:
        for _, scope in refused:
            metrics.rate_limit_violations.labels(scope=scope).inc()
        wait, scope = max(refused)
        raise RateLimitExceeded(wait, scope=scope)


def _already(scope: str) -> bool:
    state = _state.get()
    return state is not None and scope in state.counted


def _user_of(request):
    """The caller if already known. Never triggers DRF's lazy authentication (which may raise)."""
    if isinstance(request, Request):
        return vars(request).get("_user")
    return getattr(request, "user", None)


def is_system_caller(request: HttpRequest) -> bool:
    return getattr(_user_of(request), "role", None) == SYSTEM_ROLE


def _reader_key(request: HttpRequest) -> str:
    user = _user_of(request)
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}"
    return f"ip:{client_ip(request)}"


def _ip_hits(request: HttpRequest) -> list[Hit]:
    return [] if is_system_caller(request) else [(POLICIES["ip.hour"], client_ip(request))]


# Which endpoint counts what, besides the per-IP limit. DEFERRED: its service learns the key.
DEFERRED = "deferred"
_READS = {"leaderboard", "scoreboard-top", "leaderboard-around-me", "user-score"}
# The named boards' reads (their POST/PATCH are a game server's or an admin's writes): counted
# here with the per-IP limit, one Redis call, so ``check_leaderboard_read`` has nothing left.
_BOARD_READS = {
    "leaderboards",
    "leaderboard-detail",
    "leaderboard-records",
    "leaderboard-records-around-me",
    "leaderboard-periods",
    "leaderboard-friends",
}
ENDPOINTS: dict[str | None, Any] = {  # url name -> a rule (request -> hits), or DEFERRED
    **{name: lambda r: [(POLICIES["leaderboard.read"], _reader_key(r))] for name in _READS},
    **{
        name: lambda r: (
            [(POLICIES["leaderboard.read"], _reader_key(r))] if r.method in ("GET", "HEAD") else []
        )
        for name in _BOARD_READS
    },
    "my-score": lambda r: [(POLICIES["score.me"], str(_user_of(r).pk))],
    "actions-request": DEFERRED,
    "actions-initialize": DEFERRED,
    "actions-complete": DEFERRED,
    "scoreboard-update": DEFERRED,
    "auth-login": DEFERRED,
}


class RequestLimits(BaseThrottle):
    """The default DRF throttle (after authentication, so game servers are recognised)."""

    def allow_request(self, request, view) -> bool:  # noqa: ARG002 - DRF's signature
        state = _state.get()
        if state is None:  # outside LimitScopeMiddleware (a test calling a view directly)
            _state.set(state := _RequestState())
        if state.throttled:
            return True
        state.throttled = True
        match = getattr(request, "resolver_match", None)
        rule = ENDPOINTS.get(match.url_name if match else None)
        hits = _ip_hits(request)
        if rule == DEFERRED:
            state.pending.extend(hits)
            state.counted.update(p.scope for p, _ in hits)
            return True
        enforce(hits + (rule(request) if rule else []))
        return True


def count_refused_request(request) -> RateLimitExceeded | None:
    """For the exception handler: a request refused before (or instead of) its limits.

    DRF authenticates and checks permissions before throttling, so a request with a bad
    token would otherwise never count against its IP. Returns the 429 to send instead.
    """
    state = _state.get()
    try:
        if state is not None and state.pending:
            enforce([])
        elif not _already("ip.hour"):
            enforce(_ip_hits(request))
    except RateLimitExceeded as exc:
        return exc
    except ServiceUnavailable:
        return None
    return None


# --- The call sites ---------------------------------------------------------------------------
def check_leaderboard_read(request: HttpRequest) -> None:
    """Leaderboard reads: per account, else per IP (a no-op when the throttle counted it)."""
    if not _already("leaderboard.read"):
        enforce([(POLICIES["leaderboard.read"], _reader_key(request))])


def check_my_score_read(user) -> None:
    if not _already("score.me"):
        enforce([(POLICIES["score.me"], str(user.pk))])


def check_action_request(*, user_id: object) -> None:
    enforce([(POLICIES["actions.request.minute"], str(user_id))])


def check_completion_attempt(*, owner_id: object, refused_already: bool = False) -> None:
    """Every attempt on a live token counts against its owner, whoever sends it; one
    ``refused_already`` counts in each window that still has room."""
    enforce([(POLICIES[scope], str(owner_id)) for scope in COMPLETION_SCOPES], each=refused_already)


def count_refused_completion(*, owner_id: object) -> None:
    """A completion refused for another reason (a replay, a token of another player, a bad
    proof before the count) still counts against the token's owner: every attempt counts.
    It keeps its own answer (a replay stays 409), and a store that cannot count lets it be:
    the attempt is refused already."""
    try:
        check_completion_attempt(owner_id=owner_id, refused_already=True)
    except (RateLimitExceeded, ServiceUnavailable):
        pass


def login_name_key(username: str) -> str:
    """The limit's name for a login: NFKD, non-ASCII dropped, lower-cased (``jwt_uſer`` is
    ``jwt_user``), so look-alike spellings share one allowance."""
    folded = unicodedata.normalize("NFKD", username).encode("ascii", "ignore").decode("ascii")
    return folded.lower()


def check_login_attempt(*, client_ip: str, username: str) -> None:
    """Every login attempt, API or admin form, successful or not."""
    enforce([(POLICIES["auth.login"], f"{client_ip}|{login_name_key(username)}")])


def count_stream_request(request: HttpRequest) -> None:
    """The SSE stream is a plain async view (no DRF throttle): its per-IP hit, counted here."""
    enforce(_ip_hits(request))
