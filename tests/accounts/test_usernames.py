"""Usernames are ASCII and compared without case (docs/api.md, "Accounts")."""

from __future__ import annotations

import pytest

from tests.helpers.players import PASSWORD, make_player

pytestmark = pytest.mark.django_db
LOGIN = "/api/v1/auth/login"
REGISTER = "/api/v1/auth/register"


@pytest.mark.parametrize(
    "look_alike",
    [
        "jwt_u\u017fer",  # LATIN SMALL LETTER LONG S: upper() is "S"
        "jwt_\u0075ser\u200b",  # a zero-width space
        "\u212awt_user",  # KELVIN SIGN: lower() is "k"
        "jwt_us\u0435r",  # CYRILLIC SMALL LETTER IE
        "JWT_USER\u0131",  # dotless i
    ],
)
def test_it_refuses_a_look_alike_login_name(api_client, look_alike):
    make_player("jwt_user")
    make_player("kwt_user")

    response = api_client.post(LOGIN, {"username": look_alike, "password": PASSWORD}, format="json")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "INVALID_CREDENTIALS"


def test_it_logs_in_whatever_the_case_of_an_ascii_name(api_client):
    make_player("jwt_user")

    response = api_client.post(LOGIN, {"username": "JWT_User", "password": PASSWORD}, format="json")

    assert response.status_code == 200
    assert response.json()["data"]["user"]["username"] == "jwt_user"


@pytest.mark.parametrize("name", ["jwt_u\u017fer", "caf\u00e9", "\u212aelvin", "user\u00a0name", "ｆｕｌｌ"])
def test_it_refuses_to_register_a_non_ascii_username(api_client, name):
    response = api_client.post(
        REGISTER, {"username": name, "email": "x@example.com", "password": "Sup3r-secret-pw"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"
    assert "username" in response.json()["error"]["details"]
