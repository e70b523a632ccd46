"""Validated access tokens are remembered by their text; expiry, bans and revocations still
refuse the very next request (accounts/token_cache.py)."""

from __future__ import annotations

import time

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient
from rest_framework_simplejwt.exceptions import TokenError

from accounts import token_cache
from accounts.tokens import issue_token_pair

ME = "/api/v1/users/me/friends"  # any GET that needs a signed-in player


@pytest.fixture(autouse=True)
def empty_cache():
    token_cache._validated.cache_clear()
    yield
    token_cache._validated.cache_clear()


@pytest.fixture
def decodes(monkeypatch) -> list[bytes]:
    """Every full decode of an access token, by its text."""
    seen: list[bytes] = []
    real = token_cache.AccessToken

    def counting(raw):
        seen.append(raw)
        return real(raw)

    monkeypatch.setattr(token_cache, "AccessToken", counting)
    return seen


def get_me(token: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.get(ME)


@pytest.mark.django_db
def test_a_token_is_decoded_once_however_often_it_is_used(alice, decodes):
    token = issue_token_pair(alice).access
    other = issue_token_pair(alice).access

    assert [get_me(token).status_code for _ in range(5)] == [200] * 5
    assert get_me(other).status_code == 200

    assert decodes == [token.encode(), other.encode()]


@pytest.mark.django_db
def test_a_remembered_token_is_refused_once_it_expires(alice, decodes):
    claims = jwt.decode(issue_token_pair(alice).access, options={"verify_signature": False})
    claims["exp"] = int(time.time()) + 2
    short = jwt.encode(claims, settings.JWT_SECRET, algorithm="HS256")
    assert get_me(short).status_code == 200
    assert get_me(short).status_code == 200  # remembered

    time.sleep(max(0.0, claims["exp"] - time.time()) + 0.05)
    response = get_me(short)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "TOKEN_INVALID"


@pytest.mark.django_db
def test_a_remembered_token_is_refused_after_a_ban_and_a_new_password(alice):
    token = issue_token_pair(alice).access
    assert get_me(token).status_code == 200

    alice.status = alice.Status.BANNED
    alice.save(update_fields=["status"])
    assert get_me(token).status_code == 403

    alice.status = alice.Status.ACTIVE
    alice.save(update_fields=["status"])
    assert get_me(token).status_code == 200
    alice.set_password("a-brand-new-password-1")
    alice.save()
    assert get_me(token).status_code == 401


@pytest.mark.django_db
def test_a_forged_token_is_never_remembered(alice, decodes):
    token = issue_token_pair(alice).access
    header, payload, signature = token.split(".")
    forged = f"{header}.{payload}.{'A' * len(signature)}"

    assert [get_me(forged).status_code for _ in range(2)] == [401, 401]
    assert token_cache._validated.cache_info().currsize == 0


def test_a_token_text_beyond_latin_1_is_refused_as_invalid():
    """As AccessToken(text) refuses it (a TokenError, answered 401/4401), never an encoding error."""
    with pytest.raises(TokenError):
        token_cache.validated_access_token("eyJ\u2603.e30.c2ln")
