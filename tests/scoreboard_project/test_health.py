from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_it_is_alive(api_client):
    response = api_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"success": True, "data": {"status": "ok"}}


def test_it_is_ready_when_its_stores_answer(api_client):
    response = api_client.get("/readyz")
    assert response.status_code == 200
    assert set(response.json()["data"]["checks"].values()) == {"ok"}


def test_it_is_not_ready_when_redis_stops(api_client, settings, throwaway_redis):
    settings.REDIS_URL = throwaway_redis.url
    assert api_client.get("/readyz").status_code == 200

    throwaway_redis.stop()
    response = api_client.get("/readyz")

    assert response.status_code == 503 and response["Retry-After"] == "1"
    error = response.json()["error"]
    assert error["code"] == "SERVICE_UNAVAILABLE"
    assert error["details"]["checks"]["redis"] == "down"


def test_it_serves_prometheus_metrics(api_client):
    api_client.get("/api/v1/nothing-here")
    text = api_client.get("/metrics").content.decode()
    for name in (
        "api_requests_total",
        "score_updates",
        "websocket_connections",
        "action_completion_time",
        "rate_limit_violations",
        "anti_cheat_flags",
        "leaderboard_query_time",
    ):
        assert name in text


def test_it_serves_the_openapi_schema_and_offline_docs(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/auth/login" in schema.json()["paths"]
    docs = api_client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger" in html.lower()
    assert "https://" not in html and "http://cdn" not in html  # every asset is served by us
