"""Settings come from the environment; production refuses to start without secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from scoreboard_project.client_ip import resolve_client_ip
from scoreboard_project.secrets import resolve_secrets

ROOT = Path(__file__).resolve().parents[2]


def run_check(**env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "SECRET_KEY",
            "JWT_SECRET",
            "ACTION_TOKEN_SECRETS",
            "DEBUG",
            "ALLOW_DEBUG_IN_PRODUCTION",
            "HTTPS_ONLY",
        }
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_refuses_production_without_its_secrets():
    result = run_check(REDIS_URL="redis://127.0.0.1:6379/15", SECRET_KEY="only-this-one-is-set")
    assert result.returncode != 0
    assert "JWT_SECRET" in result.stderr and "ACTION_TOKEN_SECRETS" in result.stderr
    assert "SECRET_KEY," not in result.stderr  # names only what is missing


STRONG = {
    "SECRET_KEY": "s" * 50,
    "JWT_SECRET": "j" * 32,
    "ACTION_TOKEN_SECRETS": "first-action-secret-0123456789abcdef,second-action-secret-0123456789abcd",
}


def test_it_starts_in_production_with_its_secrets():
    result = run_check(REDIS_URL="redis://127.0.0.1:6379/15", **STRONG)
    assert result.returncode == 0, result.stderr


def test_it_refuses_to_start_with_a_weak_production_secret():
    result = run_check(REDIS_URL="redis://127.0.0.1:6379/15", **{**STRONG, "JWT_SECRET": "weak-jwt-secret"})

    assert result.returncode != 0
    assert "JWT_SECRET: the secret is 15 bytes" in result.stderr and "weak-jwt-secret" not in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("SECRET_KEY", "short-secret-key", "SECRET_KEY: the secret is 16 bytes"),
        ("JWT_SECRET", "j" * 31, "JWT_SECRET: the secret is 31 bytes"),
        ("ACTION_TOKEN_SECRETS", "first-action-secret-0123456789abcdef,second", "secret 2 of 2"),
        # One long secret that happens to hold a comma is two short ones.
        ("ACTION_TOKEN_SECRETS", "0123456789abcdef,0123456789abcdefghijklmnop", "secret 1 of 2"),
        (
            "ACTION_TOKEN_SECRETS",
            "first-action-secret-0123456789abcdef,",
            "secret 2 of 2 (commas separate secrets) is 0",
        ),
    ],
)
def test_it_refuses_production_secrets_under_32_bytes_naming_the_variable(
    monkeypatch, tmp_path, name, value, named
):
    for variable, secret in {**STRONG, name: value}.items():
        monkeypatch.setenv(variable, secret)

    with pytest.raises(ImproperlyConfigured) as refused:
        resolve_secrets(production=True, dev_file=tmp_path / "unused.json")

    message = str(refused.value)
    assert named in message and name in message
    assert all(part not in message for part in value.split(",") if part)  # never the secret itself
    assert (
        resolve_secrets(production=False, dev_file=tmp_path / "dev.json")[name] == value
    )  # development: as given


def test_it_counts_bytes_not_characters(monkeypatch, tmp_path):
    for variable, secret in {
        **STRONG,
        "JWT_SECRET": "\u00e9" * 16,
    }.items():  # 16 characters, 32 bytes of UTF-8
        monkeypatch.setenv(variable, secret)

    assert resolve_secrets(production=True, dev_file=tmp_path / "unused.json")["JWT_SECRET"] == "\u00e9" * 16


@pytest.mark.parametrize(
    "shape",
    [{"REDIS_URL": "redis://127.0.0.1:6379/15"}, {"DATABASE_URL": "postgres://postgres@127.0.0.1:1/none"}],
)
def test_it_refuses_debug_on_the_production_shape_without_the_override(shape):
    refused = run_check(DEBUG="true", **shape, **STRONG)
    allowed = run_check(DEBUG="true", ALLOW_DEBUG_IN_PRODUCTION="true", **shape)  # development secrets too

    assert refused.returncode != 0
    assert "DEBUG" in refused.stderr and "ALLOW_DEBUG_IN_PRODUCTION" in refused.stderr
    assert allowed.returncode == 0, allowed.stderr


def test_it_still_allows_debug_on_the_embedded_defaults():
    assert run_check(DEBUG="true").returncode == 0


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
        "/api/v1/auth/login",
        HTTP_ORIGIN="https://game.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )
    foreign = api_client.options(
        "/api/v1/auth/login",
        HTTP_ORIGIN="https://evil.example.net",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
    )

    assert allowed["Access-Control-Allow-Origin"] == "https://game.example.com"
    assert "Access-Control-Allow-Origin" not in foreign


def test_it_refuses_to_start_with_an_unknown_leaderboard_store():
    result = run_check(LEADERBOARD_STORE="memcached")
    assert result.returncode != 0
    assert "LEADERBOARD_STORE must be one of auto, sql, not 'memcached'" in result.stderr


@pytest.mark.parametrize(
    ("name", "choices", "value", "read"),
    [
        ("LEADERBOARD_STORE", ("auto", "sql"), " SQL ", "sql"),
        ("HTTP_HANDLER", ("wsgi", "asgi"), "asgi", "asgi"),
        ("LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), "warning", "WARNING"),
        ("LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), "", "INFO"),
    ],
)
def test_it_reads_a_choice_without_case(monkeypatch, name, choices, value, read):
    from scoreboard_project.env import env_choice

    monkeypatch.setenv(name, value)
    assert env_choice(name, "INFO" if name == "LOG_LEVEL" else choices[0], choices) == read


@pytest.mark.parametrize(
    ("name", "choices", "value"),
    [
        ("LEADERBOARD_STORE", ("auto", "sql"), "redis"),
        ("HTTP_HANDLER", ("wsgi", "asgi"), "uwsgi"),
        ("LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), "verbose"),
    ],
)
def test_it_refuses_a_value_outside_the_choices(monkeypatch, name, choices, value):
    from scoreboard_project.env import env_choice

    monkeypatch.setenv(name, value)
    with pytest.raises(ImproperlyConfigured, match=f"{name} must be one of .*not '{value}'"):
        env_choice(name, choices[0], choices)


def test_it_refuses_a_thread_count_that_is_not_a_number():
    result = run_check(WSGI_THREADS="eight")
    assert result.returncode != 0
    assert "WSGI_THREADS must be a whole number, not 'eight'" in result.stderr


@pytest.mark.production_shape
@pytest.mark.django_db
def test_a_statement_run_five_times_is_prepared_on_its_connection_from_the_next_run():
    from django.db import connection

    sql = "SELECT %s::int + 41 AS prepared_probe"
    with connection.cursor() as cursor:
        for _ in range(5):
            cursor.execute(sql, [1])
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%prepared_probe%"]
        )
        assert cursor.fetchone()[0] == 0  # psycopg prepares it at its next run
        cursor.execute(sql, [1])
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", ["%prepared_probe%"]
        )
        assert cursor.fetchone()[0] == 1


def test_it_prepares_nothing_when_told_off():
    probe = "from django.conf import settings; print(settings.DATABASES['default']['OPTIONS']['prepare_threshold'])"
    env = {**os.environ, "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/not_opened"}
    env.update(REDIS_URL="redis://127.0.0.1:6379/15", DEBUG="true", ALLOW_DEBUG_IN_PRODUCTION="true")
    for value, shown in (("off", "None"), ("2", "2"), (None, "5")):
        run_env = {k: v for k, v in env.items() if k != "DB_PREPARE_THRESHOLD"}
        if value is not None:
            run_env["DB_PREPARE_THRESHOLD"] = value
        done = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", probe],
            cwd=ROOT,
            env=run_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.stdout.strip().splitlines()[-1:] == [shown], done.stderr[-2000:]
