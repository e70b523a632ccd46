"""Every failure answers with the envelope, whatever produced it."""

from __future__ import annotations

import re

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.helpers.urls")]

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
    assert_envelope(
        api_client.generic("POST", LOGIN, "[1, 2]", content_type="application/json"), 400, "VALIDATION_ERROR"
    )


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
    assert_envelope(
        api_client.generic("POST", LOGIN, huge, content_type="application/json"), 413, "PAYLOAD_TOO_LARGE"
    )


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


@pytest.mark.parametrize("body", ["[" * 5000 + "]" * 5000, '{"a":' * 10000 + "1" + "}" * 10000])
def test_it_answers_deeply_nested_json_with_400(api_client, body):
    response = api_client.generic("POST", "/api/v1/auth/register", body, content_type="application/json")
    assert_envelope(response, 400, "VALIDATION_ERROR")


def test_it_answers_options_in_the_envelope(api_client):
    response = api_client.options("/api/v1/leaderboard")
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True and "GET" in body["data"]["allowedMethods"]


@pytest.mark.parametrize("path", ["/api/docs/", "/api/schema/"])
def test_it_refuses_options_on_the_docs_in_the_envelope(api_client, path):
    assert_envelope(api_client.options(path), 405, "METHOD_NOT_ALLOWED")


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/"])
def test_it_answers_head(api_client, path):
    assert api_client.head(path).status_code == 200


def test_it_writes_every_time_with_milliseconds_and_z(client_for, alice):
    response = client_for(alice).post(
        "/api/v1/actions/request", {"actionType": "COMPLETE_LEVEL"}, format="json"
    )
    expires_at = response.json()["data"]["expiresAt"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", expires_at), expires_at
