"""Every failure answers with the envelope, whatever produced it."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.scoreboard_project.urls_for_tests")]

LOGIN = "/api/v1/auth/login"


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def test_it_wraps_validation_errors_with_the_fields_named(api_client):
    error = assert_envelope(api_client.post(LOGIN, {"username": "a"}, format="json"), 400, "VALIDATION_ERROR")
    assert "password" in error["details"]


def test_it_wraps_invalid_json(api_client):
    response = api_client.generic("POST", LOGIN, "{not json", content_type="application/json")
    assert_envelope(response, 400, "VALIDATION_ERROR")


def test_it_reads_json_sent_with_another_content_type(api_client, alice):
    body = '{"username": "alice", "password": "correct-horse-battery-9"}'
    response = api_client.generic("POST", LOGIN, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200


def test_it_refuses_a_json_array_body(api_client):
    assert_envelope(api_client.generic("POST", LOGIN, "[1, 2]", content_type="application/json"), 400,
                    "VALIDATION_ERROR")


def test_it_wraps_missing_authentication(api_client):
    assert_envelope(api_client.post("/api/v1/auth/logout", {}, format="json"), 401, "NOT_AUTHENTICATED")


def test_it_wraps_a_forbidden_request(client_for, alice):
    assert_envelope(client_for(alice).get("/api/v1/test/admin-only"), 403, "FORBIDDEN")


def test_it_wraps_unknown_api_paths(api_client):
    assert_envelope(api_client.get("/api/v1/no/such/thing"), 404, "NOT_FOUND")
    assert_envelope(api_client.post("/api/nope", {}, format="json"), 404, "NOT_FOUND")


def test_it_wraps_wrong_methods(api_client):
    assert_envelope(api_client.delete(LOGIN), 405, "METHOD_NOT_ALLOWED")
    assert_envelope(api_client.post("/healthz"), 405, "METHOD_NOT_ALLOWED")


def test_it_refuses_bodies_over_64_kib(api_client):
    huge = '{"username": "' + "x" * (65 * 1024) + '", "password": "p"}'
    assert_envelope(api_client.generic("POST", LOGIN, huge, content_type="application/json"), 413,
                    "PAYLOAD_TOO_LARGE")


def test_it_accepts_a_body_just_under_the_limit(api_client):
    body = '{"username": "alice", "password": "p", "pad": "' + "x" * (60 * 1024) + '"}'
    response = api_client.generic("POST", LOGIN, body, content_type="application/json")
    assert response.status_code == 401  # judged on its content, not refused for size


def test_it_wraps_rate_limits_with_retry_after(api_client, alice, settings):
    settings.RATE_LIMIT_LOGIN_PER_15_MINUTES = 1
    api_client.post(LOGIN, {"username": "alice", "password": "nope-nope"}, format="json")
    response = api_client.post(LOGIN, {"username": "alice", "password": "nope-nope"}, format="json")
    error = assert_envelope(response, 429, "RATE_LIMIT_EXCEEDED")
    assert int(response["Retry-After"]) == error["details"]["retryAfter"] >= 1


@pytest.mark.parametrize("path", ["/api/v1/test/explode", "/api/v1/test/explode-plain"])
def test_it_wraps_unhandled_errors_without_a_traceback(path, caplog):
    client = Client(raise_request_exception=False)
    response = client.get(path)
    assert_envelope(response, 500, "INTERNAL_ERROR")
    assert b"secret internals" not in response.content
    assert b"Traceback" not in response.content
    # The error is logged, with the request id that the response carries.
    assert response["X-Request-ID"]
    assert any("secret internals" in str(record.exc_info) for record in caplog.records if record.exc_info)


def test_it_keeps_tracebacks_out_even_with_debug_on(settings):
    settings.DEBUG = True
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/test/explode")
    assert_envelope(response, 500, "INTERNAL_ERROR")
    assert b"secret internals" not in response.content


def test_it_echoes_a_safe_request_id_and_replaces_an_unsafe_one(api_client):
    assert api_client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
    assert api_client.get("/healthz", HTTP_X_REQUEST_ID="bad id\n")["X-Request-ID"] != "bad id\n"
