"""The WSGI-in-ASGI adapter: what Django's WSGI handler receives, what the client gets back."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

from scoreboard_project.serving import WsgiInAsgi


def _echo_app(seen: list):
    def app(environ, start_response):
        body = environ["wsgi.input"].read()
        seen.append({**environ, "body": body, "thread": threading.get_ident()})
        start_response("201 Created", [("Content-Type", "text/plain"), ("X-Seen", environ["PATH_INFO"])])
        return [b"got:", body]

    return app


async def _asgi_fallback(scope, receive, send):
    await send({"type": "http.response.start", "status": 299, "headers": []})
    await send({"type": "http.response.body", "body": b"asgi"})


def _call(app, *, path="/api/v1/x", method="POST", headers=(), chunks=(b"",), query=b"a=1&b=%C3%A9"):
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "root_path": "",
        "query_string": query,
        "headers": list(headers),
        "server": ("127.0.0.1", 8080),
        "client": ("10.0.0.7", 5555),
        "http_version": "1.1",
        "scheme": "http",
    }
    messages = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)
    ]
    sent = []

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


def test_it_hands_the_request_to_the_wsgi_app_and_sends_its_answer():
    seen: list = []
    app = WsgiInAsgi(_echo_app(seen), _asgi_fallback, streaming=("/stream",), max_body=100, threads=2)
    sent = _call(
        app,
        path="/api/v1/é",
        headers=[
            (b"content-type", b"application/json"),
            (b"content-length", b"7"),
            (b"x-forwarded-for", b"1.2.3.4"),
            (b"accept", b"a"),
            (b"accept", b"b"),
        ],
        chunks=(b'{"a"', b":1}"),
    )
    start, body = sent
    assert start["status"] == 201
    assert (b"x-seen", "/api/v1/é".encode().decode("latin-1").encode("latin-1")) in start["headers"]
    assert body["body"] == b'got:{"a":1}'
    environ = seen[0]
    assert environ["REQUEST_METHOD"] == "POST"
    assert environ["QUERY_STRING"] == "a=1&b=%C3%A9"
    assert environ["CONTENT_TYPE"] == "application/json" and environ["CONTENT_LENGTH"] == "7"
    assert environ["HTTP_X_FORWARDED_FOR"] == "1.2.3.4"
    assert environ["HTTP_ACCEPT"] == "a,b"
    assert environ["REMOTE_ADDR"] == "10.0.0.7"


def test_it_gives_a_chunked_body_its_length_and_stops_reading_past_the_limit():
    seen: list = []
    app = WsgiInAsgi(_echo_app(seen), _asgi_fallback, streaming=(), max_body=10, threads=1)
    _call(app, chunks=(b"12345", b"678"))
    _call(app, chunks=(b"1234567", b"89012345", b"never read"))
    assert seen[0]["CONTENT_LENGTH"] == "8" and seen[0]["body"] == b"12345678"
    assert seen[1]["CONTENT_LENGTH"] == "11" and seen[1]["body"] == b"12345678901"  # limit + 1: a 413


def test_it_leaves_streaming_paths_and_other_protocols_to_the_asgi_app():
    seen: list = []
    app = WsgiInAsgi(_echo_app(seen), _asgi_fallback, streaming=("/api/v1/leaderboard/stream",), max_body=10)
    sent = _call(app, path="/api/v1/leaderboard/stream", method="GET")
    assert sent[0]["status"] == 299 and seen == []


def test_it_runs_every_request_on_the_same_few_threads():
    seen: list = []
    app = WsgiInAsgi(_echo_app(seen), _asgi_fallback, streaming=(), max_body=10, threads=2)
    for _ in range(20):
        _call(app)
    assert len(seen) == 20
    assert len({s["thread"] for s in seen}) <= 2


def test_the_application_serves_plain_http_through_it(db):  # noqa: ARG001
    from scoreboard_project.asgi import application, http_app

    assert isinstance(http_app, WsgiInAsgi)  # under the arrival stamp and the body limit
    start, body = _call(
        application, path="/healthz", method="GET", headers=[(b"host", b"127.0.0.1")], query=b""
    )
    assert start["status"] == 200
    assert body["body"] == b'{"success": true, "data": {"status": "ok"}}'
    start, body = _call(
        application, path="/api/v1/nowhere", method="GET", headers=[(b"host", b"127.0.0.1")], query=b""
    )
    assert start["status"] == 404 and b'"NOT_FOUND"' in body["body"]


def test_the_arrival_stamp_reaches_a_request_served_through_wsgi():
    """Completions are timed from their arrival (actions/clock.py) under this path too."""
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from actions import clock
    from scoreboard_project.serving import _environ

    stamp = datetime(2026, 11, 30, tzinfo=UTC).timestamp()
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/actions/complete",
        "headers": [],
        clock.ARRIVAL_KEY: stamp,
    }
    environ = _environ(scope, b"{}")
    assert environ[clock.ARRIVAL_KEY] == stamp
    assert clock.received_at(SimpleNamespace(META=environ)) == datetime.fromtimestamp(stamp, UTC)


class _ClosingResult:
    """A WSGI result whose ``close`` notes what the client had been sent by then."""

    def __init__(self, sent: list, seen_at_close: list) -> None:
        self.sent, self.seen_at_close = sent, seen_at_close

    def __iter__(self):
        return iter([b"answer"])

    def close(self) -> None:
        self.seen_at_close.append([m["type"] for m in self.sent])


def test_it_sends_the_answer_before_it_closes_the_result():
    """``close`` fires ``request_finished`` and the work deferred to it (``after_response``):
    as under a WSGI server, the client has the whole answer by then."""
    sent: list = []
    seen_at_close: list = []

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return _ClosingResult(sent, seen_at_close)

    adapter = WsgiInAsgi(app, _asgi_fallback, streaming=(), max_body=10, threads=1)
    scope = {"type": "http", "method": "GET", "path": "/x", "headers": [], "query_string": b""}

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(adapter(scope, receive, send))
    assert seen_at_close == [["http.response.start", "http.response.body"]]
    assert sent[1]["body"] == b"answer"


@pytest.mark.django_db(transaction=True)
def test_a_record_write_is_answered_before_the_players_it_passed_are_told(settings, monkeypatch):
    """The write's answer does not carry who it passed: that is found and sent afterwards."""
    from accounts.services import service_account_create
    from leaderboard import overtaken
    from scoreboard_project.asgi import application
    from tests.helpers.boards import new_board, write
    from tests.helpers.players import make_player

    settings.BOARD_RESET_CLOCK = False
    alice, bob = make_player("alice"), make_player("bob")
    board = new_board("arena")
    write(board, alice, 10)
    write(board, bob, 20)
    _, token = service_account_create(name="game-server")
    told_after: list = []
    sent: list = []
    real_send = overtaken.channel.group_send

    def group_send(group, message):
        if message.get("type") == overtaken.OVERTAKEN:
            told_after.append([m["type"] for m in sent])
        return real_send(group, message)

    monkeypatch.setattr(overtaken.channel, "group_send", group_send)
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/v1/leaderboards/arena/records",
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {token}".encode()),
        ],
    }
    body = f'{{"userId": "{alice.pk}", "score": 30}}'.encode()

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(application(scope, receive, send))
    assert sent[0]["status"] == 200, sent
    assert json.loads(sent[1]["body"])["data"]["previousRank"] == 2
    assert told_after == [["http.response.start", "http.response.body"]]  # bob, once the answer was out
