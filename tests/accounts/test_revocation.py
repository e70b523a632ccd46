"""Revocation (docs/api.md, "Accounts"): deactivation, a new password, logout, refresh reuse and
the session's maximum age, each through the HTTP API, each effective on the next request."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db.models import F
from rest_framework.test import APIClient

from accounts.models import LoginSession, User
from tests.helpers.players import PASSWORD

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/users/me/score"

pytestmark = pytest.mark.django_db


def login(username: str = "alice", password: str = PASSWORD) -> dict:
    response = APIClient().post(LOGIN, {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["data"]


def me(access: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get(ME)


def refresh(token: str):
    return APIClient().post(REFRESH, {"refreshToken": token}, format="json")


def logout(access: str, refresh_token: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.post(LOGOUT, {"refreshToken": refresh_token}, format="json")


def assert_token_invalid(response) -> None:
    assert response.status_code == 401, response.content
    assert response.json()["error"]["code"] == "TOKEN_INVALID"


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def test_it_stops_a_deactivated_accounts_tokens_at_once_and_refuses_its_login(alice):
    pair = login()
    assert me(pair["token"]).status_code == 200

    User.objects.filter(pk=alice.pk).update(is_active=False)

    assert_token_invalid(me(pair["token"]))
    assert_token_invalid(refresh(pair["refreshToken"]))
    refused = APIClient().post(LOGIN, {"username": "alice", "password": PASSWORD}, format="json")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "INVALID_CREDENTIALS"
    User.objects.filter(pk=alice.pk).update(is_active=True)  # reactivated: the same tokens work again
    assert me(pair["token"]).status_code == 200


def test_it_revokes_every_token_issued_before_a_new_password(alice):
    first, second = login(), login()  # two sessions, two devices

    alice.set_password("a-brand-new-passphrase-7")
    alice.save()

    for pair in (first, second):
        assert_token_invalid(me(pair["token"]))
        assert_token_invalid(refresh(pair["refreshToken"]))
    fresh = login(password="a-brand-new-passphrase-7")
    assert me(fresh["token"]).status_code == 200
    assert refresh(fresh["refreshToken"]).status_code == 200


def test_it_does_not_revoke_on_a_password_hash_upgrade_at_login(alice, settings):
    pair = login()
    # A new preferred hasher: the next login re-hashes the same password, which is no change.
    settings.PASSWORD_HASHERS = [
        "tests.accounts.test_revocation.QuickPBKDF2Hasher",
        "django.contrib.auth.hashers.MD5PasswordHasher",
    ]
    login()
    alice.refresh_from_db()

    assert alice.password.startswith("pbkdf2_quick$")
    assert me(pair["token"]).status_code == 200


class QuickPBKDF2Hasher(PBKDF2PasswordHasher):
    algorithm, iterations = "pbkdf2_quick", 2


def test_it_revokes_on_a_password_set_through_the_admin(alice, client):
    root = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    pair = login()
    client.force_login(root)

    response = client.post(
        f"/admin/accounts/user/{alice.pk}/password/",
        {
            "password1": "Another-long-passphrase-3",
            "password2": "Another-long-passphrase-3",
            "usable_password": "true",
        },
    )

    assert response.status_code == 302, response.content
    assert_token_invalid(me(pair["token"]))
    assert_token_invalid(refresh(pair["refreshToken"]))


def test_it_logs_out_the_refresh_token_and_the_calling_access_token_only(alice):
    pair, other = login(), login()

    assert logout(pair["token"], pair["refreshToken"]).status_code == 200

    assert_token_invalid(me(pair["token"]))
    assert_token_invalid(refresh(pair["refreshToken"]))
    assert me(other["token"]).status_code == 200  # another session of the same player lives on
    assert refresh(other["refreshToken"]).status_code == 200


def test_it_revokes_the_calling_access_token_of_another_session_at_logout(alice):
    caller, logged_out = login(), login()

    assert logout(caller["token"], logged_out["refreshToken"]).status_code == 200

    assert_token_invalid(me(caller["token"]))  # the access token that called it
    assert_token_invalid(refresh(logged_out["refreshToken"]))  # the refresh token given
    assert refresh(caller["refreshToken"]).status_code == 200  # nothing else


def test_it_revokes_the_whole_session_when_a_rotated_refresh_token_is_used_again(alice):
    stolen = login()
    other = login()
    rotated = refresh(stolen["refreshToken"]).json()["data"]  # the victim's next pair

    assert_token_invalid(refresh(stolen["refreshToken"]))  # the thief replays the old one

    for token in (stolen["token"], rotated["token"]):
        assert_token_invalid(me(token))
    assert_token_invalid(refresh(rotated["refreshToken"]))
    assert LoginSession.objects.get(pk=claims_of(rotated["token"])["sid"]).revoked_reason == "reuse"
    assert me(other["token"]).status_code == 200  # the player's other session is untouched


def test_it_keeps_one_session_across_rotations(alice):
    pair = login()
    for _ in range(3):
        pair = refresh(pair["refreshToken"]).json()["data"]
        assert me(pair["token"]).status_code == 200

    assert LoginSession.objects.filter(user=alice).count() == 1
    assert claims_of(pair["refreshToken"])["sid"] == claims_of(pair["token"])["sid"]


def test_it_ends_a_session_at_its_maximum_age_whatever_the_refreshes(alice, settings):
    settings.REFRESH_SESSION_MAX_AGE = 600
    pair = login()
    started = claims_of(pair["refreshToken"])["iat"]

    rotated = refresh(pair["refreshToken"]).json()["data"]
    for token in (rotated["token"], rotated["refreshToken"]):  # no token outlives its session
        assert claims_of(token)["exp"] <= started + 600

    # 601 s later (the server's clock moved on, the token's own exp aside): the session is over.
    LoginSession.objects.filter(user=alice).update(
        created_at=F("created_at") - timedelta(seconds=601),
        expires_at=F("expires_at") - timedelta(seconds=601),
    )
    assert_token_invalid(refresh(rotated["refreshToken"]))


def test_it_refuses_a_refresh_token_past_its_sessions_end_by_its_own_expiry(alice, settings):
    settings.REFRESH_SESSION_MAX_AGE = 1
    pair = login()
    time.sleep(1.1)

    assert_token_invalid(refresh(pair["refreshToken"]))
    assert_token_invalid(me(pair["token"]))


def test_it_rotates_a_refresh_token_issued_before_sessions_once(alice):
    from rest_framework_simplejwt.tokens import RefreshToken

    legacy = RefreshToken.for_user(alice)
    legacy["username"], legacy["role"] = "alice", "user"  # what tokens carried before ver/sid

    first = refresh(str(legacy))
    assert first.status_code == 200
    assert_token_invalid(refresh(str(legacy)))
    assert me(first.json()["data"]["token"]).status_code == 200


def test_it_authenticates_with_one_query(alice, client_for, django_assert_num_queries):
    from accounts.authentication import user_for_claims

    claims = claims_of(login()["token"])
    with django_assert_num_queries(1):
        user = user_for_claims(claims)

    assert user == alice and user.score == alice.score and user.role == "user"


def test_it_authenticates_a_request_with_one_query(alice, rf, django_assert_max_num_queries):
    from rest_framework.request import Request

    from accounts.authentication import BearerAuthentication

    request = Request(rf.get(ME, HTTP_AUTHORIZATION=f"Bearer {login()['token']}"))
    with django_assert_max_num_queries(1):
        user, token = BearerAuthentication().authenticate(request)

    assert user == alice and token["userId"] == str(alice.pk)


@pytest.mark.parametrize("claim", ["sid", "userId"])
def test_it_refuses_a_signed_token_whose_ids_are_not_ids(alice, claim):
    claims = claims_of(login()["token"])
    claims[claim] = "not-a-uuid"
    forged = jwt.encode(claims, settings.JWT_SECRET, algorithm="HS256")

    assert_token_invalid(me(forged))
