"""Display names: PATCH /users/me, the rules, and every place a name is shown."""

from __future__ import annotations

import pytest

from accounts.models import User
from anticheat.models import AuditEntry

XSS = "<img src=x onerror=alert(1)>"
RLO = "\u202e"


def _patch(client, body):
    return client.patch("/api/v1/users/me", body, format="json")


@pytest.mark.django_db
def test_it_sets_a_display_name_and_answers_the_user(client_for, alice):
    response = _patch(client_for(alice), {"displayName": "  Ame\u0301lie la Grande  "})
    assert response.status_code == 200, response.content
    user = response.json()["data"]["user"]
    assert user["displayName"] == "Am\u00e9lie la Grande"  # NFC, trimmed
    assert (user["username"], user["id"]) == ("alice", str(alice.pk))
    alice.refresh_from_db()
    assert alice.display_name == "Am\u00e9lie la Grande" and alice.username == "alice"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["Сергей", "李小龙", "محمد علي", "🎮 Pro-Gamer!", "Ωμέγα_42", "x", "a" * 32, "e\u0301" * 32, XSS]
)
def test_it_accepts_letters_of_any_script_digits_punctuation_and_symbols(client_for, alice, name):
    response = _patch(client_for(alice), {"displayName": name})
    assert response.status_code == 200, response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "a" * 33,
        f"{RLO}evil",
        "a\u202db",
        "a\u2066b\u2069",
        "a\u200bb",
        "a\u200fb",
        "a\x00b",
        "line\nbreak",
        "tab\there",
        "a\u2028b",
        "\ue000",
        123,
        None,
        ["x"],
        {"x": 1},
    ],
)
def test_it_refuses_control_format_and_bidi_characters_and_bad_lengths(client_for, alice, name):
    response = _patch(client_for(alice), {"displayName": name})
    assert response.status_code == 400, (name, response.content)
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and "displayName" in error["details"]
    alice.refresh_from_db()
    assert alice.display_name == ""


@pytest.mark.django_db
def test_it_changes_nothing_without_a_display_name_and_needs_a_token(client_for, api_client, alice):
    response = _patch(client_for(alice), {"username": "mallory", "score": 10**6})
    assert response.status_code == 200
    assert response.json()["data"]["user"]["displayName"] == "alice"
    alice.refresh_from_db()
    assert (alice.username, alice.score) == ("alice", 0)
    assert _patch(api_client, {"displayName": "x"}).status_code == 401


@pytest.mark.django_db
def test_it_shows_the_username_in_the_user_object_when_no_name_is_set(api_client):
    response = api_client.post(
        "/api/v1/auth/register",
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "password": "correct-horse-battery-9",
        },
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["data"]["user"]["displayName"] == "newbie"


@pytest.mark.django_db
def test_it_puts_the_display_name_on_every_leaderboard_entry(client_for, alice, bob):
    _patch(client_for(alice), {"displayName": XSS})
    board = client_for(bob).get("/api/v1/leaderboard").json()["data"]["leaderboard"]
    names = {entry["username"]: entry["displayName"] for entry in board}
    assert names == {"alice": XSS, "bob": "bob"}
    around = client_for(alice).get("/api/v1/leaderboard/around-me").json()["data"]
    assert around["me"]["displayName"] == XSS
    assert client_for(alice).get("/api/v1/users/me/score").json()["data"]["displayName"] == XSS
    assert client_for(bob).get(f"/api/v1/users/{alice.pk}/score").json()["data"]["displayName"] == XSS


@pytest.mark.django_db
def test_it_escapes_and_isolates_display_names_on_the_live_page(client_for, client, alice, bob):
    _patch(client_for(alice), {"displayName": XSS})
    # A right-to-left override cannot come through the API; one already stored is isolated.
    User.objects.filter(pk=bob.pk).update(display_name=f"{RLO}bob")
    page = client.get("/").content.decode()
    assert XSS not in page
    assert '<bdi class="name" dir="auto">&lt;img src=x onerror=alert(1)&gt;</bdi>' in page
    assert f'<bdi class="name" dir="auto">{RLO}bob</bdi>' in page


@pytest.mark.django_db
def test_it_escapes_display_names_in_the_admin(admin_client, client_for, alice):
    _patch(client_for(alice), {"displayName": XSS})
    for url in ("/admin/accounts/user/", f"/admin/accounts/user/{alice.pk}/change/"):
        page = admin_client.get(url).content.decode()
        assert XSS not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


@pytest.mark.django_db
def test_it_lets_a_moderator_reset_an_offensive_name_from_the_admin(
    admin_client, admin_user, client_for, alice
):
    _patch(client_for(alice), {"displayName": "Offensive"})
    response = admin_client.post(
        "/admin/accounts/user/",
        {
            "action": "reset_display_name_selected",
            "_selected_action": [str(alice.pk)],
            "apply": "1",
            "reason": "offensive name",
        },
        REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.display_name == ""
    entry = AuditEntry.objects.get(event="display_name_reset")
    assert (entry.actor, entry.subject, entry.reason) == (admin_user, alice, "offensive name")
    assert entry.details == {"previousDisplayName": "Offensive"}
    assert (
        client_for(alice).patch("/api/v1/users/me", {}, format="json").json()["data"]["user"]["displayName"]
        == "alice"
    )


@pytest.mark.django_db
def test_it_asks_for_a_reason_before_a_reset(admin_client, alice):
    User.objects.filter(pk=alice.pk).update(display_name="Offensive")
    response = admin_client.post(
        "/admin/accounts/user/",
        {
            "action": "reset_display_name_selected",
            "_selected_action": [str(alice.pk)],
        },
    )
    assert response.status_code == 200 and b"reason" in response.content.lower()
    alice.refresh_from_db()
    assert alice.display_name == "Offensive" and not AuditEntry.objects.exists()
