"""The event-loop answer to GET /leaderboard: byte for byte what Django answers, or Django itself."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.core.wsgi import get_wsgi_application

from accounts.models import User
from leaderboard import ranking_rebuilds
from leaderboard.fast_read import FastLeaderboardRead
from leaderboard.services import score_history_record
from scoreboard_project import limit_counter
from scoreboard_project.asgi import django_asgi_app
from scoreboard_project.serving import WsgiInAsgi

pytestmark = [pytest.mark.production_shape, pytest.mark.django_db(transaction=True)]


class Spy:
    """Django behind the fast path, counting what reaches it."""

    def __init__(self, app) -> None:
        self.app, self.calls = app, 0

    async def __call__(self, scope, receive, send):
        self.calls += 1
        await self.app(scope, receive, send)


@pytest.fixture
def apps(player):
    """(Django alone, the fast path in front of the same Django, the spy between them)."""
    player("alice", 300, at=1), player("bob", 200, at=2), player("carol", 100, at=3)
    ranking_rebuilds.rebuild_all()
    django = WsgiInAsgi(
        get_wsgi_application(),
        django_asgi_app,
        streaming=("/api/v1/leaderboard/stream",),
        max_body=django_settings.MAX_BODY_BYTES,
        threads=2,
    )
    spy = Spy(django)
    return django, FastLeaderboardRead(spy), spy


def call(
    app,
    query: bytes = b"limit=10",
    headers=(),
    *,
    client="10.0.0.7",
    method="GET",
    path="/api/v1/leaderboard",
    scheme="http",
    request_id=b"req-1",
    host=b"127.0.0.1",
):
    """(status, sorted headers, body) of one request; a fixed X-Request-ID unless None."""
    extra = [(b"x-request-id", request_id)] if request_id else []
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", host), *headers, *extra],
        "server": ("127.0.0.1", 8001),
        "client": (client, 5555),
        "http_version": "1.1",
        "scheme": scheme,
    }
    messages = [{"type": "http.request", "body": b"", "more_body": False}]
    sent: list[dict] = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start, body = sent
    return start["status"], sorted(start["headers"]), body["body"]


def hold(django, query: bytes = b"limit=10") -> None:
    """Two reads through Django: the periodic full read, then the held response."""
    call(django, query)
    call(django, query)


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        (b"", []),
        (b"limit=10", [(b"accept", b"*/*")]),
        (b"period=weekly&limit=2", [(b"accept", b"application/json, text/plain, */*")]),
        (b"limit=100&period=all", [(b"user-agent", b"game/1.0"), (b"accept-encoding", b"gzip")]),
    ],
)
def test_it_answers_exactly_what_django_answers(apps, query, headers):
    django, fast, spy = apps
    hold(django, query)
    expected = call(django, query, headers)
    assert call(fast, query, headers) == expected
    assert expected[0] == 200 and spy.calls == 0  # answered on the event loop


def test_the_alias_and_a_client_behind_the_trusted_proxy(apps, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    django, fast, spy = apps
    hold(django)
    forwarded = [(b"x-forwarded-for", b"203.0.113.9"), (b"x-forwarded-proto", b"http")]
    for path in ("/api/v1/leaderboard", "/api/v1/scoreboard/top"):
        assert call(fast, headers=forwarded, client="127.0.0.1", path=path) == call(
            django, headers=forwarded, client="127.0.0.1", path=path
        )
    assert spy.calls == 0


def test_a_request_id_is_made_when_none_or_an_unsafe_one_is_sent(apps):
    django, fast, spy = apps
    hold(django)
    for sent in (None, b"bad id!"):
        _, headers, _ = call(fast, request_id=sent)
        made = dict(headers)[b"x-request-id"].decode()
        assert len(made) == 32 and int(made, 16) >= 0
    assert spy.calls == 0


def test_the_429_is_djangos_and_counts_in_the_same_windows(apps, settings, monkeypatch):
    monkeypatch.setattr(limit_counter, "time", SimpleNamespace(time=lambda: 1_800_000_000.25))
    settings.RATE_LIMIT_LEADERBOARD_PER_MINUTE = 3
    django, fast, spy = apps
    hold(django)  # 2 reads from 10.0.0.7
    assert call(fast)[0] == 200  # the third
    refused = call(django)
    assert refused[0] == 429 and dict(refused[1])[b"retry-after"] == b"60"
    assert call(fast) == refused
    assert spy.calls == 0
    assert call(fast, client="10.0.0.8")[0] == 200  # another client, its own window


def test_the_per_ip_hourly_limit_refuses_too(apps, settings, monkeypatch):
    monkeypatch.setattr(limit_counter, "time", SimpleNamespace(time=lambda: 1_800_000_000.25))
    settings.RATE_LIMIT_IP_PER_HOUR = 3
    django, fast, spy = apps
    hold(django)
    call(fast)
    expected = call(django)
    assert expected[0] == 429 and b'"scope":"ip.hour"' in expected[2]
    assert call(fast) == expected and spy.calls == 0


@pytest.mark.parametrize(
    ("query", "headers", "method"),
    [
        (b"limit=0", [], "GET"),
        (b"limit=abc", [], "GET"),
        (b"period=yearly", [], "GET"),
        (b"limit=10&limit=20", [], "GET"),
        (b"limit=%31%30", [], "GET"),
        (b"foo=1", [], "GET"),
        (b"limit=10", [(b"authorization", b"Bearer not-a-token")], "GET"),
        (b"limit=10", [(b"accept", b"text/html")], "GET"),
        (b"limit=10", [(b"origin", b"https://game.example.com")], "GET"),
        (b"limit=10", [(b"cookie", b"sessionid=x")], "GET"),
        (b"limit=10", [(b"content-length", b"2")], "GET"),
        (b"limit=10", [], "HEAD"),
        (b"limit=10", [], "OPTIONS"),
    ],
)
def test_anything_unusual_goes_to_django(apps, query, headers, method):
    django, fast, spy = apps
    hold(django)
    answer = call(fast, query, headers, method=method)
    assert spy.calls == 1
    assert answer[0] == call(django, query, headers, method=method)[0]


def test_a_host_django_refuses_goes_to_django(apps):
    django, fast, spy = apps
    hold(django)
    assert call(fast, host=b"evil.example")[0] == 400
    assert spy.calls == 1


def test_an_outdated_held_response_goes_to_django_uncounted(
    apps, settings, django_capture_on_commit_callbacks
):
    settings.RATE_LIMIT_LEADERBOARD_PER_MINUTE = 3
    django, fast, spy = apps
    hold(django)  # 2 of 3
    bob = User.objects.get(username="bob")
    with django_capture_on_commit_callbacks(execute=True):
        score_history_record(user=bob, increment=500)
    status, _, body = call(fast)  # the version moved: Django answers, and counts it once (3 of 3)
    assert spy.calls == 1 and status == 200 and b'"username":"bob","displayName":"bob","score":700' in body
    assert call(fast)[0] == 429 and spy.calls == 1  # held again, and the fourth is refused here


def test_behind_https_it_adds_what_the_security_middleware_adds(player, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.CONTENT_SECURITY_POLICY = "default-src 'self'"
    player("alice", 300, at=1)
    ranking_rebuilds.rebuild_all()
    django = WsgiInAsgi(get_wsgi_application(), django_asgi_app, streaming=(), max_body=65536, threads=2)
    spy = Spy(django)
    fast = FastLeaderboardRead(spy)
    https = [(b"x-forwarded-proto", b"https")]
    hold_https = lambda: call(django, headers=https, client="127.0.0.1")  # noqa: E731
    hold_https(), hold_https()
    expected = hold_https()
    assert expected[0] == 200 and b"strict-transport-security" in dict(expected[1])
    assert call(fast, headers=https, client="127.0.0.1") == expected and spy.calls == 0
    assert call(fast, client="127.0.0.1")[0] == 301 and spy.calls == 1  # plain HTTP: Django redirects
    assert call(fast, headers=https, client="10.0.0.9")[0] == 301  # the header from a stranger counts not
