from __future__ import annotations

import pytest
from django.db.models import Sum

from accounts.models import User
from anticheat.models import AuditEntry, Flag
from leaderboard.models import ScoreHistory
from tests.helpers.moderation import flag_for
from tests.helpers.players import make_player

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture
def mod_client(client_for, moderator):
    return client_for(moderator)


def endpoints(user_id: str, flag_id: int) -> list[tuple[str, str, dict | None]]:
    return [
        ("post", f"/api/v1/admin/users/{user_id}/ban", {"reason": "r"}),
        ("post", f"/api/v1/admin/users/{user_id}/unban", {"reason": "r"}),
        ("get", f"/api/v1/admin/users/{user_id}/history", None),
        ("get", "/api/v1/admin/flags", None),
        ("post", f"/api/v1/admin/flags/{flag_id}/approve", {"note": "n"}),
        ("post", f"/api/v1/admin/flags/{flag_id}/void", {"note": "n"}),
    ]


def call(client, method: str, url: str, body: dict | None):
    if method == "get":
        return client.get(url)
    return client.post(url, body or {}, format="json")


def test_it_refuses_players_and_game_servers_with_403(alice, bob, game_server, client_for):
    flag = flag_for(bob)
    for caller in (alice, game_server):
        for method, url, body in endpoints(str(bob.id), flag.pk):
            response = call(client_for(caller), method, url, body)
            assert response.status_code == 403, url
            assert response.json()["error"]["code"] == "FORBIDDEN"
    bob.refresh_from_db()
    flag.refresh_from_db()
    assert bob.status == User.Status.ACTIVE and flag.status == Flag.Status.OPEN
    assert not AuditEntry.objects.exists()


def test_it_refuses_anonymous_callers_with_401(bob, api_client):
    flag = flag_for(bob)
    for method, url, body in endpoints(str(bob.id), flag.pk):
        response = call(api_client, method, url, body)
        assert response.status_code == 401, url
        assert response.json()["error"]["code"] == "NOT_AUTHENTICATED"


def test_it_bans_a_player(alice, moderator, mod_client):
    response = mod_client.post(
        f"/api/v1/admin/users/{alice.id}/ban",
        {"reason": "wallhack"},
        format="json",
        REMOTE_ADDR="203.0.113.9",
    )
    assert response.status_code == 200
    user = response.json()["data"]["user"]
    assert user == {
        "id": str(alice.id),
        "username": "alice",
        "displayName": "alice",
        "score": 0,
        "rank": None,
        "role": "user",
        "status": "banned",
    }
    audit = AuditEntry.objects.get()
    assert (audit.actor, audit.subject, audit.reason, audit.client_ip) == (
        moderator,
        alice,
        "wallhack",
        "203.0.113.9",
    )


def test_it_stops_the_banned_players_tokens_at_once(alice, client_for, mod_client):
    player = client_for(alice)
    mod_client.post(f"/api/v1/admin/users/{alice.id}/ban", {"reason": "x"}, format="json")
    response = player.post("/api/v1/auth/logout", {"refreshToken": "whatever"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "ACCOUNT_BANNED"


def test_it_unbans_a_player_with_their_score(alice, mod_client):
    flag_for(alice, increment=700)
    mod_client.post(f"/api/v1/admin/users/{alice.id}/ban", {"reason": "x"}, format="json")
    response = mod_client.post(f"/api/v1/admin/users/{alice.id}/unban", {"reason": "appeal"}, format="json")
    assert response.status_code == 200
    user = response.json()["data"]["user"]
    assert (user["status"], user["score"], user["rank"]) == ("active", 700, 1)


def test_it_answers_ban_twice_with_the_banned_user(alice, mod_client):
    for _ in range(2):
        response = mod_client.post(f"/api/v1/admin/users/{alice.id}/ban", {"reason": "x"}, format="json")
        assert response.status_code == 200
        assert response.json()["data"]["user"]["status"] == "banned"
    assert AuditEntry.objects.count() == 2


def test_it_refuses_to_ban_a_staff_account(admin_user, moderator, client_for):
    response = client_for(admin_user).post(
        f"/api/v1/admin/users/{moderator.id}/ban", {"reason": "x"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CANNOT_BAN_STAFF"
    moderator.refresh_from_db()
    assert moderator.status == "active"


@pytest.mark.parametrize(
    "body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}, {"reason": 12.5e300}]
)
def test_it_requires_a_valid_reason(alice, mod_client, body):
    response = mod_client.post(f"/api/v1/admin/users/{alice.id}/ban", body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert "reason" in error["details"]
    alice.refresh_from_db()
    assert alice.status == "active"


def test_it_answers_invalid_json_with_400(alice, mod_client):
    response = mod_client.post(
        f"/api/v1/admin/users/{alice.id}/ban", "{nope", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    ("user_id", "status", "code"),
    [
        ("6f1c9a52-0d4e-4b7e-9a53-2b1f0c8d7e41", 404, "NOT_FOUND"),
        ("not-a-uuid", 400, "VALIDATION_ERROR"),
        ("1' OR '1'='1", 400, "VALIDATION_ERROR"),
    ],
)
def test_it_answers_404_for_unknown_users_and_400_for_bad_ids(mod_client, user_id, status, code, db):
    for path in ("ban", "unban"):
        response = mod_client.post(f"/api/v1/admin/users/{user_id}/{path}", {"reason": "x"}, format="json")
        assert response.status_code == status
        assert response.json()["error"]["code"] == code
    response = mod_client.get(f"/api/v1/admin/users/{user_id}/history")
    assert response.status_code == status
    if status == 400:
        assert "userId" in response.json()["error"]["details"]


@pytest.mark.parametrize(
    ("flag_id", "status", "code"),
    [
        ("999999", 404, "NOT_FOUND"),
        ("abc", 400, "VALIDATION_ERROR"),
        ("-1", 400, "VALIDATION_ERROR"),
        ("0", 400, "VALIDATION_ERROR"),
    ],
)
def test_it_answers_404_for_unknown_flags_and_400_for_bad_ids(mod_client, flag_id, status, code, db):
    for verb in ("approve", "void"):
        response = mod_client.post(f"/api/v1/admin/flags/{flag_id}/{verb}", {"note": ""}, format="json")
        assert response.status_code == status
        assert response.json()["error"]["code"] == code


def test_it_lists_open_flags_by_default(alice, bob, moderator, mod_client):
    old = flag_for(alice, increment=100, evidence={"completion_time_ms": 5})
    flag_for(bob, increment=250)
    settled = flag_for(bob, increment=100)
    mod_client.post(f"/api/v1/admin/flags/{settled.pk}/approve", {}, format="json")
    response = mod_client.get("/api/v1/admin/flags")
    assert response.status_code == 200
    flags = response.json()["data"]["flags"]
    assert [f["id"] for f in flags][0] == old.pk and len(flags) == 2
    first = flags[0]
    assert {"id", "userId", "username", "reason", "evidence", "scoreIncrement", "createdAt", "status"} <= set(
        first
    )
    assert (first["userId"], first["username"], first["scoreIncrement"], first["status"]) == (
        str(alice.id),
        "alice",
        100,
        "open",
    )
    assert first["reason"] == "fast_completion"
    assert first["createdAt"].endswith("Z")
    approved = mod_client.get("/api/v1/admin/flags?status=approved").json()["data"]["flags"]
    assert [f["id"] for f in approved] == [settled.pk]
    assert mod_client.get("/api/v1/admin/flags?status=voided").json()["data"]["flags"] == []


@pytest.mark.parametrize("status", ["closed", "", "OPEN"])
def test_it_refuses_an_unknown_flag_status(mod_client, status, db):
    response = mod_client.get(f"/api/v1/admin/flags?status={status}")
    assert response.status_code == 400
    assert "status" in response.json()["error"]["details"]


def test_it_approves_a_flag(alice, moderator, mod_client):
    flag = flag_for(alice, increment=100)
    response = mod_client.post(f"/api/v1/admin/flags/{flag.pk}/approve", {"note": "fine"}, format="json")
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["id"], data["status"], data["resolutionNote"]) == (flag.pk, "approved", "fine")
    alice.refresh_from_db()
    assert alice.score == 100
    assert AuditEntry.objects.get().event == "flag_approved"


def test_it_voids_a_flag_and_user_score_and_ledger_agree(alice, moderator, mod_client):
    flag_for(alice, increment=250)
    flag = flag_for(alice, increment=100)
    response = mod_client.post(f"/api/v1/admin/flags/{flag.pk}/void", {"note": "bot"}, format="json")
    assert response.status_code == 200
    assert response.json()["data"]["status"] == "voided"
    alice.refresh_from_db()
    ledger = ScoreHistory.objects.filter(user=alice).aggregate(total=Sum("increment"))["total"]
    assert alice.score == 250 == ledger
    reversal = ScoreHistory.objects.get(kind="void")
    assert (reversal.increment, reversal.reverses_id, reversal.completed_by) == (
        -100,
        flag.score_history_id,
        moderator,
    )
    history = mod_client.get(f"/api/v1/admin/users/{alice.id}/history").json()["data"]["history"]
    assert history[0]["kind"] == "void" and history[0]["reverses"] == flag.score_history_id


def test_it_answers_409_when_a_flag_is_settled_twice(alice, mod_client):
    flag = flag_for(alice, increment=100)
    assert mod_client.post(f"/api/v1/admin/flags/{flag.pk}/void", {}, format="json").status_code == 200
    for verb in ("void", "approve"):
        response = mod_client.post(f"/api/v1/admin/flags/{flag.pk}/{verb}", {}, format="json")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "FLAG_ALREADY_SETTLED"
    alice.refresh_from_db()
    assert alice.score == 0
    assert ScoreHistory.objects.filter(kind="void").count() == 1


def test_it_refuses_a_note_over_500_characters(alice, mod_client):
    flag = flag_for(alice)
    response = mod_client.post(f"/api/v1/admin/flags/{flag.pk}/void", {"note": "n" * 501}, format="json")
    assert response.status_code == 400
    flag.refresh_from_db()
    assert flag.status == "open"


def test_it_lists_a_players_history_newest_first(alice, mod_client):
    for increment in (100, 250, 500):
        flag_for(alice, increment=increment)
    response = mod_client.get(f"/api/v1/admin/users/{alice.id}/history")
    assert response.status_code == 200
    history = response.json()["data"]["history"]
    assert [h["increment"] for h in history] == [500, 250, 100]
    assert [h["newScore"] for h in history] == [850, 350, 100]
    assert history[0]["createdAt"].endswith("Z")


def test_it_returns_player_text_as_data_not_markup(mod_client, moderator):
    player = make_player("xss.player")
    flag = flag_for(player, evidence={"note": XSS})
    mod_client.post(f"/api/v1/admin/users/{player.id}/ban", {"reason": XSS}, format="json")
    response = mod_client.get("/api/v1/admin/flags")
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["data"]["flags"][0]["evidence"]["note"] == XSS
    assert AuditEntry.objects.get(event="player_banned").reason == XSS
    assert flag.pk


def test_it_answers_with_exactly_the_keys_of_its_shapes(alice, moderator):
    from djangorestframework_camel_case.util import camelize

    from anticheat import selectors, shapes

    flag = flag_for(alice)
    assert set(selectors.moderated_user_data(alice)) == set(shapes.ModeratedUser.__annotations__)
    assert set(selectors.flag_data(flag)) == set(shapes.FlagData.__annotations__)
    assert set(selectors.history_entry_data(flag.score_history)) == set(shapes.HistoryEntry.__annotations__)
    assert "userId" in camelize(selectors.flag_data(flag))


def test_it_describes_the_moderation_api_in_the_schema(client, db):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/admin/users/{userId}/ban",
        "/api/v1/admin/flags",
        "/api/v1/admin/flags/{flagId}/void",
        "/api/v1/admin/users/{userId}/history",
    ):
        assert path in paths, path
