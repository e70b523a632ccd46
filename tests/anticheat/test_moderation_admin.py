"""The moderator's Django admin: every write goes through anticheat.moderation."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from accounts.models import User
from actions.models import ActionType
from anticheat.models import AuditEntry, Flag
from leaderboard.models import ScoreHistory
from tests.helpers.moderation import flag_for
from tests.helpers.players import make_player

XSS = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def run_action(admin_client, url: str, action: str, objects, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [str(obj.pk) for obj in objects], "index": "0", **extra}
    return admin_client.post(url, data, REMOTE_ADDR="198.51.100.7")


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/accounts/user/",
        "/admin/anticheat/flag/",
        "/admin/anticheat/auditentry/",
        "/admin/leaderboard/scorehistory/",
        "/admin/actions/actiontype/",
        "/admin/actions/actiontoken/",
        "/admin/accounts/user/?status__exact=banned&score_band=1-999&role=user&q=ali",
    ],
)
def test_it_serves_the_moderators_pages(admin_client, alice, url):
    flag_for(alice)
    assert admin_client.get(url).status_code == 200


def test_it_asks_for_a_reason_before_banning(admin_client, alice):
    response = run_action(admin_client, "/admin/accounts/user/", "ban_selected", [alice])
    assert response.status_code == 200
    assert b'name="reason"' in response.content
    alice.refresh_from_db()
    assert alice.status == "active"


def test_it_bans_through_the_service_with_the_reason(admin_client, admin_user, alice, bob):
    response = run_action(
        admin_client,
        "/admin/accounts/user/",
        "ban_selected",
        [alice, bob],
        apply="Yes",
        reason="chargeback fraud",
    )
    assert response.status_code == 302
    assert set(User.objects.filter(status="banned").values_list("username", flat=True)) == {"alice", "bob"}
    entries = AuditEntry.objects.filter(event="player_banned")
    assert entries.count() == 2
    assert {(e.actor, e.reason, e.client_ip) for e in entries} == {
        (admin_user, "chargeback fraud", "198.51.100.7")
    }


def test_it_keeps_the_form_when_the_reason_is_missing(admin_client, alice):
    response = run_action(
        admin_client, "/admin/accounts/user/", "ban_selected", [alice], apply="Yes", reason=""
    )
    assert response.status_code == 200
    assert b"This field is required" in response.content
    alice.refresh_from_db()
    assert alice.status == "active"


def test_it_unbans_through_the_service(admin_client, alice):
    run_action(admin_client, "/admin/accounts/user/", "ban_selected", [alice], apply="Yes", reason="x")
    run_action(admin_client, "/admin/accounts/user/", "unban_selected", [alice], apply="Yes", reason="appeal")
    alice.refresh_from_db()
    assert alice.status == "active"
    assert AuditEntry.objects.filter(event="player_unbanned", reason="appeal").exists()


def test_it_refuses_to_ban_staff_from_the_admin(admin_client, moderator):
    response = run_action(
        admin_client, "/admin/accounts/user/", "ban_selected", [moderator], apply="Yes", reason="x"
    )
    assert response.status_code == 302
    moderator.refresh_from_db()
    assert moderator.status == "active"
    page = admin_client.get(response["Location"])
    assert b"Staff accounts cannot be banned" in page.content


def test_it_keeps_status_and_score_read_only_in_the_user_form(admin_client, alice):
    response = admin_client.get(f"/admin/accounts/user/{alice.pk}/change/")
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "status" not in form.fields and "score" not in form.fields
    assert f"/admin/leaderboard/scorehistory/?user={alice.pk}".encode() in response.content
    assert b"deletelink" not in response.content


def test_it_links_a_player_to_their_score_history(admin_client, alice, bob):
    flag_for(alice, increment=111)
    flag_for(bob, increment=222)
    response = admin_client.get(f"/admin/leaderboard/scorehistory/?user={alice.pk}")
    assert response.status_code == 200
    assert list(response.context["cl"].queryset.values_list("increment", flat=True)) == [111]


def test_it_shows_the_flag_queue_open_first(admin_client, admin_user, alice):
    settled = flag_for(alice)
    Flag.objects.filter(pk=settled.pk).update(status="approved")
    queued = flag_for(alice)
    response = admin_client.get("/admin/anticheat/flag/")
    assert [f.pk for f in response.context["cl"].result_list] == [queued.pk, settled.pk]


def test_it_voids_flags_in_bulk_through_the_service(admin_client, admin_user, alice):
    flag_for(alice, increment=40)
    flags = [flag_for(alice, increment=100), flag_for(alice, increment=250)]
    response = run_action(
        admin_client, "/admin/anticheat/flag/", "void_selected", flags, apply="Yes", reason="bot"
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.score == 40
    assert ScoreHistory.objects.filter(kind="void", completed_by=admin_user).count() == 2
    assert set(Flag.objects.filter(pk__in=[f.pk for f in flags]).values_list("status", flat=True)) == {
        "voided"
    }


def test_it_approves_flags_in_bulk_and_reports_settled_ones(admin_client, alice):
    open_flag, settled = flag_for(alice), flag_for(alice)
    Flag.objects.filter(pk=settled.pk).update(status="voided")
    response = run_action(
        admin_client,
        "/admin/anticheat/flag/",
        "approve_selected",
        [open_flag, settled],
        apply="Yes",
        reason="",
    )
    open_flag.refresh_from_db()
    assert open_flag.status == "approved"
    page = admin_client.get(response["Location"])
    assert b"already approved or voided" in page.content


def test_it_shows_flags_read_only(admin_client, alice):
    flag = flag_for(alice)
    response = admin_client.get(f"/admin/anticheat/flag/{flag.pk}/change/")
    assert response.status_code == 200
    assert b'name="_save"' not in response.content
    response = admin_client.post(f"/admin/anticheat/flag/{flag.pk}/change/", {"status": "voided"})
    flag.refresh_from_db()
    assert flag.status == "open"
    assert admin_client.get("/admin/anticheat/flag/add/").status_code == 403


def test_it_escapes_player_text_everywhere_in_the_admin(admin_client, admin_user):
    player = make_player("x.player")
    flag = flag_for(player, evidence={"reference": XSS, "nested": {"signature": XSS}})
    entry = flag.score_history
    ScoreHistory.objects.filter(pk=entry.pk).update(reference=XSS[:100], signature=XSS, note=XSS)
    AuditEntry.objects.create(
        event="player_banned", actor=admin_user, subject=player, reason=XSS, details={"x": XSS}
    )
    pages = [
        f"/admin/anticheat/flag/{flag.pk}/change/",
        "/admin/anticheat/flag/",
        "/admin/anticheat/auditentry/",
        f"/admin/anticheat/auditentry/{AuditEntry.objects.get().pk}/change/",
        "/admin/leaderboard/scorehistory/",
        f"/admin/leaderboard/scorehistory/{entry.pk}/change/",
    ]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert XSS.encode() not in response.content, url
    User.objects.filter(pk=player.pk).update(
        username=XSS
    )  # the validator forbids it; the admin must not rely on it
    player.refresh_from_db()
    for url in (
        "/admin/accounts/user/",
        f"/admin/accounts/user/{player.pk}/change/",
        "/admin/anticheat/flag/",
        "/admin/leaderboard/scorehistory/",
        "/admin/anticheat/auditentry/",
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert XSS.encode() not in response.content, url
        assert ESCAPED.encode() in response.content, url
    reason_form = run_action(admin_client, "/admin/accounts/user/", "ban_selected", [player])
    assert XSS.encode() not in reason_form.content and ESCAPED.encode() in reason_form.content
    evidence_page = admin_client.get(f"/admin/anticheat/flag/{flag.pk}/change/").content.decode()
    assert ESCAPED in evidence_page
    assert "<pre" in evidence_page  # pretty JSON, indented


def test_it_validates_action_type_bounds(admin_client):
    response = admin_client.post(
        "/admin/actions/actiontype/add/",
        {
            "code": "speed_run",
            "points": "10",
            "min_duration_ms": "5000",
            "max_duration_ms": "1000",
            "repeatable": "on",
            "enabled": "on",
        },
    )
    assert response.status_code == 200
    assert "max_duration_ms" in response.context["adminform"].form.errors
    assert not ActionType.objects.filter(code="SPEED_RUN").exists()
    response = admin_client.post(
        "/admin/actions/actiontype/add/",
        {
            "code": "speed_run",
            "points": "10",
            "min_duration_ms": "1000",
            "max_duration_ms": "5000",
            "repeatable": "on",
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    assert ActionType.objects.get(code="SPEED_RUN").points == 10


def test_it_refuses_zero_point_action_types(admin_client):
    response = admin_client.post(
        "/admin/actions/actiontype/add/",
        {
            "code": "NOTHING",
            "points": "0",
            "min_duration_ms": "1",
            "max_duration_ms": "2",
        },
    )
    assert response.status_code == 200
    assert "points" in response.context["adminform"].form.errors


def test_it_keeps_the_ledger_and_audit_read_only(admin_client, alice):
    flag = flag_for(alice)
    assert admin_client.get("/admin/leaderboard/scorehistory/add/").status_code == 403
    entry_id = flag.score_history_id
    assert admin_client.post(f"/admin/leaderboard/scorehistory/{entry_id}/delete/").status_code == 403
    assert admin_client.get("/admin/anticheat/auditentry/add/").status_code == 403
    assert admin_client.post(f"/admin/accounts/user/{alice.pk}/delete/").status_code == 403
