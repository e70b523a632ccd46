"""Register, login, refresh, logout through the HTTP API (literal URLs)."""

from __future__ import annotations

import pytest

from accounts.models import User
from tests.helpers.players import PASSWORD

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"

pytestmark = pytest.mark.django_db


def register(client, **overrides):
    body = {"username": "carol", "email": "carol@example.com", "password": "Sup3r-secret-pw"}
    body.update(overrides)
    return client.post(REGISTER, body, format="json")


def login(client, username="alice", password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, format="json", **extra)


def test_it_registers_a_player_with_a_token_pair(api_client):
    response = register(api_client)

    assert response.status_code == 201
    data = response.json()["data"]
    assert data["user"]["username"] == "carol"
    assert data["user"]["role"] == "user"
    assert data["user"]["score"] == 0
    assert data["user"]["rank"] == 1
    assert data["token"] and data["refreshToken"]
    assert data["expiresAt"].endswith("Z")
    assert User.objects.get(username="carol").check_password("Sup3r-secret-pw")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"username": "ab"}, "username"),
        ({"username": "x" * 51}, "username"),
        ({"username": "bad name!"}, "username"),
        ({"username": "<script>"}, "username"),
        ({"username": 12345}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"password": "short1"}, "password"),
        ({"password": "x" * 129}, "password"),
        ({"password": "password123"}, "password"),  # too common
        ({"password": "8675309123"}, "password"),  # entirely numeric
        ({"password": ["a", "list"]}, "password"),
    ],
)
def test_it_refuses_invalid_registrations_naming_the_field(api_client, overrides, field):
    response = register(api_client, **overrides)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in error["details"]
    assert not User.objects.filter(email="carol@example.com").exists()


def test_it_requires_every_registration_field(api_client):
    response = api_client.post(REGISTER, {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"username", "email", "password"}


def test_it_refuses_a_taken_username_whatever_its_case(api_client, alice):
    response = register(api_client, username="ALICE")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "USERNAME_TAKEN"


def test_it_ignores_fields_a_client_must_not_set(api_client):
    response = register(api_client, score=999999, role="admin", status="banned", isStaff=True)

    assert response.status_code == 201
    user = User.objects.get(username="carol")
    assert (user.score, user.role, user.status, user.is_staff) == (0, "user", "active", False)


def test_it_logs_in_with_the_contract_fields(api_client, alice):
    response = login(api_client)

    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {"token", "refreshToken", "expiresAt", "user"}
    assert data["user"] == {
        "id": str(alice.id),
        "username": "alice",
        "displayName": "alice",
        "score": 0,
        "rank": 1,
        "role": "user",
    }


def test_it_answers_unknown_user_and_wrong_password_identically(api_client, alice):
    unknown = login(api_client, username="nobody")
    wrong = login(api_client, password="wrong-password-1")

    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()
    assert wrong.json()["error"]["code"] == "INVALID_CREDENTIALS"


def test_it_gives_moderators_the_admin_role_and_service_accounts_system(api_client, moderator, game_server):
    assert login(api_client, username="moderator").json()["data"]["user"]["role"] == "admin"
    assert game_server.role == "system"


def test_it_limits_login_attempts_per_ip_and_username(api_client, alice, settings):
    for _ in range(settings.RATE_LIMIT_LOGIN_PER_15_MINUTES):
        assert login(api_client, password="wrong-password-1").status_code == 401

    refused = login(api_client)  # even the right password is refused now

    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "RATE_LIMIT_EXCEEDED"
    retry_after = int(refused["Retry-After"])
    assert 1 <= retry_after <= 15 * 60
    assert error["details"]["retryAfter"] == retry_after
    # Another client IP, or another username from this IP, is not affected.
    assert login(api_client, REMOTE_ADDR="10.1.2.3").status_code == 200
    assert login(api_client, username="bob").status_code == 401


def test_it_rotates_refresh_tokens_and_refuses_reuse(api_client, alice):
    first = login(api_client).json()["data"]["refreshToken"]

    rotated = api_client.post(REFRESH, {"refreshToken": first}, format="json")
    reused = api_client.post(REFRESH, {"refreshToken": first}, format="json")

    assert rotated.status_code == 200
    data = rotated.json()["data"]
    assert set(data) == {"token", "refreshToken", "expiresAt"}
    assert data["refreshToken"] != first
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "TOKEN_INVALID"
    # The reuse revoked the whole login session, the token it was rotated into included.
    assert api_client.post(REFRESH, {"refreshToken": data["refreshToken"]}, format="json").status_code == 401


def test_it_refuses_garbage_refresh_tokens(api_client):
    for token in ["garbage", "a.b.c", ""]:
        response = api_client.post(REFRESH, {"refreshToken": token}, format="json")
        assert response.status_code in (400, 401)
        assert response.json()["error"]["code"] in ("TOKEN_INVALID", "VALIDATION_ERROR")


def test_it_logs_out_by_revoking_the_refresh_token(api_client, alice):
    pair = login(api_client).json()["data"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['token']}")

    response = api_client.post(LOGOUT, {"refreshToken": pair["refreshToken"]}, format="json")

    assert response.status_code == 200
    assert response.json() == {"success": True, "data": {}}
    refused = api_client.post(REFRESH, {"refreshToken": pair["refreshToken"]}, format="json")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "TOKEN_INVALID"


def test_it_refuses_to_log_out_someone_elses_refresh_token(api_client, client_for, alice, bob):
    bobs_refresh = login(api_client, username="bob").json()["data"]["refreshToken"]

    response = client_for(alice).post(LOGOUT, {"refreshToken": bobs_refresh}, format="json")

    assert response.status_code == 401
    assert api_client.post(REFRESH, {"refreshToken": bobs_refresh}, format="json").status_code == 200


def test_it_requires_a_bearer_token_to_log_out(api_client):
    response = api_client.post(LOGOUT, {"refreshToken": "x"}, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "NOT_AUTHENTICATED"


def test_it_refuses_a_banned_player_at_login_refresh_and_with_an_old_access_token(api_client, alice):
    pair = login(api_client).json()["data"]
    alice.status = User.Status.BANNED
    alice.save(update_fields=["status"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair['token']}")

    with_old_token = api_client.post(LOGOUT, {"refreshToken": pair["refreshToken"]}, format="json")
    api_client.credentials()
    at_login = login(api_client)
    at_refresh = api_client.post(REFRESH, {"refreshToken": pair["refreshToken"]}, format="json")

    for response in (with_old_token, at_login, at_refresh):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "ACCOUNT_BANNED"


def test_it_does_not_reveal_a_ban_to_a_wrong_password(api_client, alice):
    alice.status = User.Status.BANNED
    alice.save(update_fields=["status"])

    assert login(api_client, password="wrong-password-1").json()["error"]["code"] == "INVALID_CREDENTIALS"


@pytest.mark.parametrize("username", ["abc\n", " carol ", "carol\t"])
def test_it_refuses_usernames_with_surrounding_whitespace_instead_of_trimming(api_client, username):
    response = register(api_client, username=username)

    assert response.status_code == 400
    assert "username" in response.json()["error"]["details"]
