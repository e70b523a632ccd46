"""Access tokens: claims, tampering, alg=none, expiry, type confusion, parallel refresh."""

from __future__ import annotations

import base64
import json
import threading
import time

import jwt
import pytest
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from accounts.tokens import issue_token_pair

LOGOUT = "/api/v1/auth/logout"
REFRESH = "/api/v1/auth/refresh"


def call_with(token: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.post(LOGOUT, {"refreshToken": "x"}, format="json")


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@pytest.mark.django_db
def test_it_puts_the_contract_claims_in_both_tokens(alice):
    pair = issue_token_pair(alice)

    for token, lifetime in ((pair.access, 3600), (pair.refresh, 604800)):
        claims = jwt.decode(
            token, settings.JWT_SECRET, algorithms=["HS256"], audience="scoreboard-api", issuer="scoreboard"
        )
        assert claims["userId"] == str(alice.id)
        assert claims["username"] == "alice"
        assert claims["role"] == "user"
        assert claims["exp"] - claims["iat"] == lifetime


@pytest.mark.django_db
def test_it_accepts_a_valid_access_token(alice):
    # Reaches the view (which then refuses the bogus refresh token): authentication passed.
    assert call_with(issue_token_pair(alice).access).json()["error"]["code"] == "TOKEN_INVALID"
    assert call_with(issue_token_pair(alice).access).status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer"])
def test_it_reads_the_scheme_in_any_case(alice, scheme):
    """RFC 7235: the scheme is case-insensitive (the sockets already read it so)."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{scheme} {issue_token_pair(alice).access}")
    me = client.get("/api/v1/users/me/score")
    assert me.status_code == 200, me.content
    assert me.json()["data"]["userId"] == str(alice.pk)


@pytest.mark.django_db
def test_it_refuses_a_tampered_token(alice, bob):
    header, payload, signature = issue_token_pair(alice).access.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["userId"] = str(bob.id)

    response = call_with(f"{header}.{b64(claims)}.{signature}")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_INVALID"


@pytest.mark.django_db
def test_it_refuses_alg_none(alice):
    _, payload, _ = issue_token_pair(alice).access.split(".")
    unsigned = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{payload}."

    response = call_with(unsigned)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_INVALID"


@pytest.mark.django_db
def test_it_refuses_a_token_signed_with_another_key(alice):
    claims = jwt.decode(issue_token_pair(alice).access, options={"verify_signature": False})
    forged = jwt.encode(claims, "not-the-server-secret-but-long-enough-32b", algorithm="HS256")

    assert call_with(forged).json()["error"]["code"] == "TOKEN_INVALID"


@pytest.mark.django_db
def test_it_refuses_an_expired_token(alice):
    claims = jwt.decode(issue_token_pair(alice).access, options={"verify_signature": False})
    claims["iat"], claims["exp"] = int(time.time()) - 7200, int(time.time()) - 3600
    expired = jwt.encode(claims, settings.JWT_SECRET, algorithm="HS256")

    response = call_with(expired)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_INVALID"


@pytest.mark.django_db
def test_it_refuses_a_refresh_token_used_as_an_access_token(alice):
    response = call_with(issue_token_pair(alice).refresh)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_INVALID"


@pytest.mark.django_db
def test_it_refuses_an_access_token_used_as_a_refresh_token(api_client, alice):
    response = api_client.post(REFRESH, {"refreshToken": issue_token_pair(alice).access}, format="json")

    assert response.status_code == 401


@pytest.mark.django_db
def test_it_refuses_a_malformed_authorization_header(alice):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer")

    assert client.post(LOGOUT, {}, format="json").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_it_gives_exactly_one_rotation_to_twenty_parallel_refreshes(alice):
    refresh = issue_token_pair(alice).refresh
    barrier = threading.Barrier(20)
    statuses: list[int] = []
    lock = threading.Lock()

    def refresh_once() -> None:
        client = APIClient()
        barrier.wait()
        try:
            status = client.post(REFRESH, {"refreshToken": refresh}, format="json").status_code
        finally:
            connection.close()
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=refresh_once) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == [200] + [401] * 19


@pytest.mark.django_db
def test_it_refuses_a_token_the_moment_it_expires(api_client, alice):
    claims = jwt.decode(issue_token_pair(alice).access, options={"verify_signature": False})
    claims["exp"] = int(time.time()) - 1
    just_expired = jwt.encode(claims, settings.JWT_SECRET, algorithm="HS256")

    assert call_with(just_expired).json()["error"]["code"] == "TOKEN_INVALID"
    refresh_claims = jwt.decode(issue_token_pair(alice).refresh, options={"verify_signature": False})
    refresh_claims["exp"] = int(time.time()) - 1
    response = api_client.post(
        REFRESH,
        {"refreshToken": jwt.encode(refresh_claims, settings.JWT_SECRET, algorithm="HS256")},
        format="json",
    )
    assert response.status_code == 401 and response.json()["error"]["code"] == "TOKEN_INVALID"
