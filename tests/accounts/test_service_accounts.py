from __future__ import annotations

import io
import json

import jwt
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from accounts.authentication import BearerAuthentication
from accounts.models import User

pytestmark = pytest.mark.django_db


def create(name: str, *args: str) -> dict:
    out = io.StringIO()
    call_command("create_service_account", name, *args, stdout=out)
    return json.loads(out.getvalue())


def test_it_prints_a_system_token_for_a_game_server():
    printed = create("arena-server-1")

    user = User.objects.get(username="arena-server-1")
    assert printed["userId"] == str(user.id)
    claims = jwt.decode(
        printed["token"], settings.JWT_SECRET, algorithms=["HS256"], audience="scoreboard-api"
    )
    assert claims["role"] == "system" and claims["userId"] == str(user.id)
    assert user.role == "system" and not user.has_usable_password()


def test_it_reuses_the_account_and_honours_a_lifetime():
    first = create("arena-server-2")
    second = create("arena-server-2", "--expiry-seconds", "86400")

    assert first["userId"] == second["userId"]
    claims = jwt.decode(second["token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 86400


def test_it_refuses_to_turn_a_player_into_a_service_account(alice):
    with pytest.raises(CommandError):
        create("alice")
    alice.refresh_from_db()
    assert alice.role == "user"


def test_it_lets_a_game_server_token_authenticate(rf):
    printed = create("arena-server-3")
    request = rf.get("/", HTTP_AUTHORIZATION=f"Bearer {printed['token']}")

    user, _ = BearerAuthentication().authenticate(request)

    assert str(user.id) == printed["userId"] and user.role == "system"
