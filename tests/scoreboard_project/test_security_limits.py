"""Review findings 1, 2 (the limit's key), 7 and 13 of issue 12: the admin form under the login
limit, look-alike names sharing one allowance, /metrics private, the cache never unpickling."""

from __future__ import annotations

import pickle

import pytest
from django.core.cache import cache
from django.test import Client

from scoreboard_project.limits import login_name_key
from tests.helpers.players import PASSWORD
from tests.helpers.stores import production_shape

pytestmark = pytest.mark.django_db


def api_login(api_client, username: str, password: str = "wrong-password", ip: str = "198.51.100.1"):
    return api_client.post(
        "/api/v1/auth/login", {"username": username, "password": password}, format="json", REMOTE_ADDR=ip
    )


def admin_login(username: str, password: str = "wrong-password", ip: str = "198.51.100.1"):
    return Client().post(
        "/admin/login/", {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip
    )


def test_it_counts_the_admin_form_and_the_api_against_one_login_limit(api_client, moderator):
    for _ in range(3):
        assert api_login(api_client, "moderator").status_code == 401
    for _ in range(2):
        assert admin_login("moderator").status_code == 200  # the form again, with its error

    refused = admin_login("moderator", PASSWORD)  # the right password, past the limit
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    api = api_login(api_client, "moderator", PASSWORD)
    assert api.status_code == 429
    assert api.json()["error"]["details"]["scope"] == "auth.login"
    assert admin_login("moderator", PASSWORD, ip="198.51.100.2").status_code == 302  # another address


def test_it_limits_the_admin_form_on_its_own(moderator):
    for _ in range(5):
        assert admin_login("Moderator").status_code == 200
    assert admin_login("moderator", PASSWORD).status_code == 429


@pytest.mark.parametrize("spelling", ["jwt_u\u017fer", "JWT_USER", "jwt_\uff55ser", "jwt_user\u0301"])
def test_it_counts_look_alike_login_names_against_the_ascii_name(api_client, spelling):
    assert login_name_key(spelling) == "jwt_user"
    for _ in range(5):
        assert api_login(api_client, "jwt_user").status_code == 401
    assert api_login(api_client, spelling).status_code == 429  # no fresh allowance


@pytest.mark.parametrize(
    "remote, extra, allowed",
    [
        ("127.0.0.1", {}, True),
        ("::1", {}, True),
        ("203.0.113.5", {}, False),
        ("203.0.113.5", {"HTTP_AUTHORIZATION": "Bearer metrics-token-0123456789-0123456789"}, True),
        ("203.0.113.5", {"HTTP_AUTHORIZATION": "bearer metrics-token-0123456789-0123456789"}, True),
        ("203.0.113.5", {"HTTP_AUTHORIZATION": "Bearer wrong"}, False),
        ("10.20.30.40", {}, True),  # inside 10.0.0.0/8
        (
            "127.0.0.1",
            {"HTTP_X_FORWARDED_FOR": "203.0.113.9"},
            False,
        ),  # a trusted proxy forwarding a stranger
    ],
)
def test_it_keeps_metrics_to_allowed_addresses_and_the_token(api_client, settings, remote, extra, allowed):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1", "::1", "10.0.0.0/8"]
    settings.METRICS_TOKEN = "metrics-token-0123456789-0123456789"
    settings.TRUSTED_PROXIES = ["127.0.0.1"] if "HTTP_X_FORWARDED_FOR" in extra else []

    response = api_client.get("/metrics", REMOTE_ADDR=remote, **extra)

    if allowed:
        assert response.status_code == 200
        assert b"rate_limit_violations" in response.content
    else:
        assert response.status_code == 404
        assert response.json() == {"success": False, "error": {"code": "NOT_FOUND", "message": "Not found."}}


def test_it_never_unpickles_what_it_finds_in_the_cache(tmp_path):
    """Write access to Redis must not be code execution: a planted pickle is a miss."""
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    cache.set("probe", {"a": 1})
    key = cache.make_key("probe")
    if production_shape():
        from scoreboard_project.redis_client import get_redis

        raw = get_redis().get(key)
        assert raw == '{"a":1}'  # JSON on the wire
        get_redis().set(key, pickle.dumps(Exploit()))
    else:
        from scoreboard_project.cache import JSONSerializer

        with pytest.raises(ValueError):
            JSONSerializer().loads(pickle.dumps(Exploit()))
        return

    assert cache.get("probe", "miss") == "miss"
    assert cache.get_many(["probe"]) == {}
    assert not marker.exists()


def test_it_round_trips_the_types_the_code_caches():
    import datetime as dt
    import uuid
    from decimal import Decimal

    from scoreboard_project.cache import JSONSerializer

    value = {
        "at": dt.datetime(2026, 1, 2, 3, 4, 5, 6000, tzinfo=dt.UTC),
        "day": dt.date(2026, 1, 2),
        "id": uuid.UUID(int=7),
        "points": Decimal("1.50"),
        "rows": [1, "two", None, 3.5],
        "n": 3,
    }
    serializer = JSONSerializer()
    assert serializer.loads(serializer.dumps(value)) == value
    assert serializer.dumps(41) == 41 and serializer.loads("42") == 42


def test_it_counts_the_live_page_against_the_ip_limit(settings):
    settings.RATE_LIMIT_IP_PER_HOUR = 2
    page = Client()
    assert page.get("/", REMOTE_ADDR="192.0.2.44").status_code == 200
    assert page.get("/", REMOTE_ADDR="192.0.2.44").status_code == 200

    refused = page.get("/", REMOTE_ADDR="192.0.2.44")

    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert page.get("/", REMOTE_ADDR="192.0.2.45").status_code == 200
