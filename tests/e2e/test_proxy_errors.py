"""What the production shape's nginx answers itself carries the API's error envelope.

A client of the API reads ``error.code``; nginx's own answers were HTML pages: a request it
finds malformed (a NUL in the path, a header over its buffers), a body over its limit, and
no app process to take a request (a deploy, a crash) as a 502 page. Here nginx runs in
front of two ports where nothing listens.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from bench.servers import HOST, Nginx, Server, free_port


@pytest.fixture(scope="module")
def proxy() -> Iterator[Nginx]:
    gone = [Server({}, port=free_port()), Server({}, port=free_port())]  # nothing listens there
    nginx = Nginx(gone).start()
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection((HOST, nginx.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield nginx
    finally:
        nginx.stop()


def _raw(proxy: Nginx, request: bytes) -> tuple[int, dict[str, str], dict]:
    with socket.create_connection((HOST, proxy.port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, json.loads(body)


def test_no_app_process_is_a_503_with_the_envelope_and_retry_after(proxy):
    for path in ("/api/v1/leaderboard", "/api/v1/leaderboard/stream", "/ws/leaderboard/live"):
        response = httpx.get(f"{proxy.http}{path}", timeout=10, trust_env=False)
        assert response.status_code == 503, (path, response.text)
        assert response.headers["content-type"] == "application/json"
        assert response.headers["retry-after"] == "5"
        assert response.json() == {
            "success": False,
            "error": {
                "code": "SERVICE_UNAVAILABLE",
                "message": "A backing service is unavailable; try again shortly.",
            },
        }


def test_a_malformed_request_is_a_400_validation_error(proxy):
    for request in (
        b"GET /api/v1/leaderboards/a%00b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /api/v1/leaderboard HTTP/1.1\r\nHost: x\r\nX-Big: "
        + b"a" * 20_000
        + b"\r\nConnection: close\r\n\r\n",
    ):
        status, headers, body = _raw(proxy, request)
        assert status == 400 and headers["Content-Type"] == "application/json"
        assert body["success"] is False and body["error"]["code"] == "VALIDATION_ERROR"


def test_a_method_nginx_refuses_itself_is_a_405_in_the_envelope(proxy):
    """TRACE never reaches an app process (nginx refuses it); the contract's envelope covers 405."""
    status, headers, body = _raw(
        proxy, b"TRACE /api/v1/leaderboard HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == 405 and headers["Content-Type"] == "application/json"
    assert body["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_the_error_pages_themselves_are_not_reachable_from_outside(proxy):
    status, headers, body = _raw(
        proxy, b"GET /__proxy/unavailable HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    assert status == 404 and body["error"]["code"] == "NOT_FOUND"


def test_a_body_over_64_kib_is_refused_by_the_proxy_itself(proxy):
    """The application's limit (PAYLOAD_TOO_LARGE over 64 KiB), enforced before any app process
    sees the body: one that answered 413 and closed while nginx still wrote made nginx count
    it as failed."""

    def post(size: int) -> tuple[int, dict[str, str], dict]:
        head = (
            b"POST /api/v1/actions/request HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n" % size
        )
        return _raw(proxy, head + b"a" * size)

    status, headers, body = post(65_537)
    assert status == 413 and headers["Content-Type"] == "application/json"
    assert body["error"] == {
        "code": "PAYLOAD_TOO_LARGE",
        "message": "The request body is larger than 64 KiB.",
    }
    status, _, body = post(65_536)  # at the limit: forwarded (and no app process answers here)
    assert status == 503 and body["error"]["code"] == "SERVICE_UNAVAILABLE"
