"""HTTPS_ONLY: the TLS posture behind one setting (issue 12, item 9)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from accounts.models import User
from scoreboard_project.tls import https_only_settings, https_origins
from tests.helpers.players import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
HOST = "scoreboard.example.com"
PROXY = "10.0.0.2"
PRODUCTION = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/not_opened_by_check",  # check --deploy never connects
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "SECRET_KEY": "a-production-secret-key-with-more-than-fifty-characters-0123456789",
    "JWT_SECRET": "a-production-jwt-secret-0123456789-0123456789",
    "ACTION_TOKEN_SECRETS": "a-production-action-secret-0123456789-0123456789",
    "ALLOWED_HOSTS": HOST,
    "TRUSTED_PROXIES": "10.0.0.0/8",
}


def check_deploy(**env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {*PRODUCTION, "DEBUG", "HTTPS_ONLY", "ALLOW_DEBUG_IN_PRODUCTION", "HSTS_SECONDS"}
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_it_passes_check_deploy_in_the_production_shape_with_https_only():
    without = check_deploy(**PRODUCTION)
    with_tls = check_deploy(**PRODUCTION, HTTPS_ONLY="true")

    assert without.returncode != 0 and "security.W004" in without.stderr  # what the switch is for
    assert with_tls.returncode == 0, with_tls.stderr + with_tls.stdout
    assert "no issues" in with_tls.stdout


@pytest.fixture
def https_only(settings):
    settings.ALLOWED_HOSTS = [HOST, "localhost"]
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    for name, value in https_only_settings(
        allowed_hosts=settings.ALLOWED_HOSTS, csrf_trusted_origins=[], hsts_seconds=31536000
    ).items():
        setattr(settings, name, value)
    return settings


def via(peer: str, proto: str | None = "https") -> dict:
    headers = {"REMOTE_ADDR": peer, "HTTP_HOST": HOST}
    if proto:
        headers["HTTP_X_FORWARDED_PROTO"] = proto
    return headers


@pytest.mark.django_db
def test_it_believes_x_forwarded_proto_from_a_trusted_proxy_only(https_only):
    proxied = Client().get("/healthz", **via(PROXY))
    spoofed = Client().get("/api/v1/leaderboard", **via("203.0.113.9"))

    assert proxied.status_code == 200
    assert proxied["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert spoofed.status_code == 301  # the client's own claim of HTTPS counts for nothing
    assert spoofed["Location"] == f"https://{HOST}/api/v1/leaderboard"


@pytest.mark.django_db
def test_it_lets_plain_http_probes_through(https_only):
    response = Client().get("/healthz", **via("203.0.113.9", proto=None))

    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response


@pytest.mark.django_db
def test_it_serves_the_admin_login_behind_a_tls_proxy_with_csrf(https_only):
    User.objects.create_superuser("root", "root@example.com", PASSWORD)
    browser = Client(enforce_csrf_checks=True)
    form = browser.get("/admin/login/", **via(PROXY))
    cookie = form.cookies["csrftoken"]
    assert cookie["secure"] and form.cookies["csrftoken"].value

    response = browser.post(
        "/admin/login/?next=/admin/",
        {"username": "root", "password": PASSWORD, "csrfmiddlewaretoken": cookie.value},
        HTTP_ORIGIN=f"https://{HOST}",
        HTTP_REFERER=f"https://{HOST}/admin/login/",
        **via(PROXY),
    )

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert response.cookies["sessionid"]["secure"]


@pytest.mark.django_db
def test_it_sends_a_content_security_policy(https_only):
    page = Client().get("/", **via(PROXY))
    docs = Client().get("/api/docs/", **via(PROXY))

    assert "script-src 'self';" in page["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert (
        "script-src 'self' 'unsafe-inline'" in docs["Content-Security-Policy"]
    )  # Swagger's inline boot script


@pytest.mark.django_db
def test_it_changes_nothing_without_https_only():
    response = Client().get("/api/v1/leaderboard", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_PROTO="https")

    assert response.status_code == 200
    assert "Content-Security-Policy" not in response and "Strict-Transport-Security" not in response


def test_it_trusts_the_https_origins_of_the_allowed_hosts():
    assert https_origins([HOST, ".example.org", "*", "localhost"]) == [
        f"https://{HOST}",
        "https://*.example.org",
        "https://localhost",
    ]
