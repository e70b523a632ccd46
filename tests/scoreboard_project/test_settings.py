"""Settings come from the environment; production refuses to start without secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scoreboard_project.client_ip import resolve_client_ip

ROOT = Path(__file__).resolve().parents[2]


def run_check(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {
        "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "JWT_SECRET", "ACTION_TOKEN_SECRETS", "DEBUG"}}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_it_refuses_production_without_its_secrets():
    result = run_check(REDIS_URL="redis://127.0.0.1:6379/15", SECRET_KEY="only-this-one-is-set")
    assert result.returncode != 0
    assert "JWT_SECRET" in result.stderr and "ACTION_TOKEN_SECRETS" in result.stderr
    assert "SECRET_KEY," not in result.stderr  # names only what is missing


def test_it_starts_in_production_with_its_secrets():
    result = run_check(
        REDIS_URL="redis://127.0.0.1:6379/15", SECRET_KEY="s" * 50, JWT_SECRET="j" * 50,
        ACTION_TOKEN_SECRETS="first-secret,second-secret",
    )
    assert result.returncode == 0, result.stderr


def test_it_runs_on_the_embedded_defaults_with_no_variables():
    assert run_check().returncode == 0


@pytest.mark.parametrize("name", ["JWT_EXPIRY", "RATE_LIMIT_ACTIONS_PER_MINUTE", "BROADCAST_INTERVAL_MS"])
def test_it_stops_with_a_clear_message_on_a_bad_number(name):
    result = run_check(**{name: "ten"})
    assert result.returncode != 0
    assert name in result.stderr and "whole number" in result.stderr


def test_it_refuses_a_bad_boolean():
    result = run_check(LEADERBOARD_PUBLIC="maybe")
    assert result.returncode != 0 and "LEADERBOARD_PUBLIC" in result.stderr


def test_it_takes_the_peer_address_when_no_proxy_is_trusted(settings):
    settings.TRUSTED_PROXIES = []
    assert resolve_client_ip("203.0.113.9", "1.2.3.4") == "203.0.113.9"


def test_it_walks_forwarded_for_over_trusted_proxies_only(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert resolve_client_ip("10.0.0.2", "198.51.100.7, 10.0.0.5") == "198.51.100.7"
    # A client cannot prepend a fake address: the first untrusted hop from the right wins.
    assert resolve_client_ip("10.0.0.2", "1.1.1.1, 198.51.100.7") == "198.51.100.7"
    assert resolve_client_ip("203.0.113.9", "1.1.1.1") == "203.0.113.9"
    assert resolve_client_ip("10.0.0.2", "not-an-ip") == "10.0.0.2"


@pytest.mark.django_db
def test_it_allows_cross_origin_calls_only_from_cors_origin(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://game.example.com"]

    allowed = api_client.options(
        "/api/v1/auth/login", HTTP_ORIGIN="https://game.example.com", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )
    foreign = api_client.options(
        "/api/v1/auth/login", HTTP_ORIGIN="https://evil.example.net", HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST"
    )

    assert allowed["Access-Control-Allow-Origin"] == "https://game.example.com"
    assert "Access-Control-Allow-Origin" not in foreign
