"""Roles (docs/api.md, "Accounts"): admin = superuser, or staff holding anticheat.moderate."""

from __future__ import annotations

import jwt
import pytest
from django.contrib.auth.models import Group, Permission

from accounts.models import User
from accounts.tokens import issue_token_pair
from tests.helpers.players import PASSWORD, make_player

pytestmark = pytest.mark.django_db
LOGIN = "/api/v1/auth/login"
FLAGS = "/api/v1/admin/flags"


def moderate_permission() -> Permission:
    return Permission.objects.get(content_type__app_label="anticheat", codename="moderate")


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # permissions are cached per instance


def test_it_creates_the_moderators_group_with_the_moderation_permission():
    group = Group.objects.get(name="Moderators")
    granted = {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }

    assert {"anticheat.moderate", "accounts.change_user", "anticheat.change_flag"} <= granted


@pytest.mark.parametrize(
    ("fields", "grant", "role"),
    [
        ({}, None, "user"),
        ({"is_staff": True}, None, "user"),  # plain staff is a player as far as the API goes
        ({}, "permission", "user"),  # the permission without staff status
        ({"is_staff": True}, "permission", "admin"),
        ({"is_staff": True}, "group", "admin"),
        ({"is_superuser": True}, None, "admin"),
        ({"is_staff": True, "is_superuser": True}, None, "admin"),
        ({"is_service_account": True, "is_staff": True}, "group", "system"),
    ],
)
def test_it_derives_the_role_from_status_and_permission(fields, grant, role, api_client):
    user = make_player("someone", **fields)
    if grant == "permission":
        user.user_permissions.add(moderate_permission())
    elif grant == "group":
        user.groups.add(Group.objects.get(name="Moderators"))
    user = fresh(user)

    assert user.role == role
    claims = jwt.decode(issue_token_pair(user).access, options={"verify_signature": False})
    assert claims["role"] == role
    if not user.is_service_account:
        response = api_client.post(LOGIN, {"username": "someone", "password": PASSWORD}, format="json")
        assert response.json()["data"]["user"]["role"] == role


def test_it_refuses_the_moderation_api_to_plain_staff(client_for):
    staff = make_player("staff", is_staff=True)

    response = client_for(staff).get(FLAGS)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FORBIDDEN"


def test_it_opens_the_moderation_api_to_the_moderators_group_at_once(client_for):
    staff = make_player("staff", is_staff=True)
    client = client_for(staff)
    assert client.get(FLAGS).status_code == 403

    staff.groups.add(Group.objects.get(name="Moderators"))

    assert client.get(FLAGS).status_code == 200  # the same token: the role is read per request
    staff.groups.clear()
    assert client.get(FLAGS).status_code == 403


def test_it_filters_the_admins_user_list_by_role(client):
    root = User.objects.create_superuser("root", "root@example.com", PASSWORD)
    moderator = make_player("modo", is_staff=True)
    moderator.groups.add(Group.objects.get(name="Moderators"))
    make_player("staff", is_staff=True)
    make_player("player")
    client.force_login(root)

    def listed(role: str) -> set[str]:
        response = client.get(f"/admin/accounts/user/?role={role}")
        return {user.username for user in response.context["cl"].result_list}

    assert listed("admin") == {"root", "modo"}
    assert listed("user") == {"staff", "player"}
