"""Only superusers hand out powers; nobody changes their own (issue 12, item 4).

Driven through the admin's own pages with the test client: the moderator really is a
staff account in the "Moderators" group, as the data migration creates it.
"""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.auth.models import Group

from accounts.models import User
from tests.helpers.players import PASSWORD, make_player

pytestmark = pytest.mark.django_db
ESCALATION = {"is_superuser": "on", "is_staff": "on", "is_service_account": "on"}


@pytest.fixture
def modo() -> User:
    user = make_player("modo", is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


@pytest.fixture
def root() -> User:
    return User.objects.create_superuser("root", "root@example.com", PASSWORD)


def change_url(user: User) -> str:
    return f"/admin/accounts/user/{user.pk}/change/"


def form_data(client, user: User) -> dict:
    """What the change form would post back unchanged."""
    response = client.get(change_url(user))
    assert response.status_code == 200
    form = response.context["adminform"].form
    data: dict = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if isinstance(field.widget, forms.MultiWidget):
            for index, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{index}"] = "" if part is None else str(part)
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [str(item) for item in value]
        elif value is not None:
            data[name] = str(value)
    return data


def post_change(client, user: User, **changes):
    data = form_data(client, user)
    data.update(changes)
    return client.post(change_url(user), data)


def test_it_keeps_a_moderator_from_granting_themselves_powers(client, modo):
    client.force_login(modo)
    superusers = Group.objects.get(name="Moderators")

    response = client.post(change_url(modo), {"username": "modo", **ESCALATION, "groups": [superusers.pk]})

    assert response.status_code == 403  # their own account is not theirs to change in the admin
    modo.refresh_from_db()
    assert (modo.is_superuser, modo.is_service_account) == (False, False)


def test_it_keeps_a_moderator_from_granting_a_player_powers(client, modo, alice, bob):
    client.force_login(modo)

    response = post_change(client, alice, email="new@example.com", user_permissions=[], **ESCALATION)

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.email == "new@example.com"  # the moderator may edit a player...
    assert (alice.is_staff, alice.is_superuser, alice.is_service_account) == (
        False,
        False,
        False,
    )  # ...not powers
    page = client.get(change_url(bob)).content.decode()
    assert 'name="is_superuser"' not in page and 'name="groups"' not in page


@pytest.mark.parametrize("target", ["root", "other_moderator", "game_server"])
def test_it_keeps_a_moderator_off_accounts_with_powers(client, modo, root, game_server, target):
    other = make_player("other", is_staff=True)
    account = {"root": root, "other_moderator": other, "game_server": game_server}[target]
    client.force_login(modo)

    password_change = client.post(
        f"/admin/accounts/user/{account.pk}/password/",
        {"password1": "Takeover-passphrase-1", "password2": "Takeover-passphrase-1"},
    )
    change = client.post(change_url(account), {"username": account.username, "is_active": ""})

    assert password_change.status_code == 403 and change.status_code == 403
    account.refresh_from_db()
    assert not account.check_password("Takeover-passphrase-1") and account.is_active


def test_it_lets_a_superuser_grant_powers_to_others_but_not_change_their_own(client, root, alice):
    client.force_login(root)

    granted = post_change(client, alice, is_staff="on", groups=[Group.objects.get(name="Moderators").pk])
    own = post_change(client, root, email="root@new.example.com", is_superuser="", is_staff="")

    assert granted.status_code == own.status_code == 302
    alice.refresh_from_db()
    assert alice.is_staff and alice.role == "admin"
    root.refresh_from_db()
    assert root.email == "root@new.example.com"
    assert root.is_superuser and root.is_staff  # unchanged: nobody edits their own powers


def test_it_still_lets_a_moderator_ban_from_the_admin(client, modo, alice):
    client.force_login(modo)

    response = client.post(
        "/admin/accounts/user/",
        {
            "action": "ban_selected",
            "_selected_action": [str(alice.pk)],
            "index": "0",
            "apply": "Yes",
            "reason": "botting",
        },
    )

    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.status == "banned"


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/admin/anticheat/flag/", 200),
        ("/admin/anticheat/auditentry/", 200),
        ("/admin/leaderboard/scorehistory/", 200),
        ("/admin/accounts/user/", 200),
        ("/admin/auth/group/", 403),  # the group's powers are a superuser's to hand out
    ],
)
def test_it_opens_the_moderators_workspace_to_the_group(client, modo, url, status):
    client.force_login(modo)

    assert client.get(url).status_code == status


def test_it_gives_plain_staff_no_moderation_pages(client):
    client.force_login(make_player("staff", is_staff=True))

    assert client.get("/admin/anticheat/flag/").status_code == 403
