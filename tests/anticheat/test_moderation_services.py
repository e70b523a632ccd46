from __future__ import annotations

import pytest
from django.db.models import Sum

from accounts.models import User
from anticheat import moderation
from anticheat.exceptions import CannotBanStaff, FlagAlreadySettled
from anticheat.models import AuditEntry, Flag
from leaderboard.models import ScoreHistory
from scoreboard_project.errors import ValidationFailed
from tests.helpers.moderation import flag_for
from tests.helpers.players import make_player


def ledger_sum(user: User) -> int:
    return ScoreHistory.objects.filter(user=user).aggregate(total=Sum("increment"))["total"] or 0


def test_it_bans_a_player_and_asks_for_every_side_effect_on_commit(
    alice, moderator, side_effects, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        user = moderation.player_ban(user=alice, actor=moderator, reason="aimbot", client_ip="10.0.0.1")
        assert side_effects.calls == []  # nothing leaves the process before the commit
    assert callbacks
    assert user.status == User.Status.BANNED
    alice.refresh_from_db()
    assert alice.is_banned
    assert set(side_effects.names()) == {"remove", "broadcast", "disconnect"}
    assert ("disconnect", alice.id) in side_effects.calls
    entry = AuditEntry.objects.get(event=AuditEntry.Event.PLAYER_BANNED)
    assert (entry.actor, entry.subject, entry.reason, entry.client_ip) == (
        moderator,
        alice,
        "aimbot",
        "10.0.0.1",
    )
    assert entry.details["changed"] is True


def test_it_bans_idempotently(alice, moderator, side_effects, django_capture_on_commit_callbacks):
    moderation.player_ban(user=alice, actor=moderator, reason="first")
    with django_capture_on_commit_callbacks(execute=True):
        user = moderation.player_ban(user=alice, actor=moderator, reason="second")
    assert user.status == User.Status.BANNED
    second = AuditEntry.objects.filter(event=AuditEntry.Event.PLAYER_BANNED).order_by("-id").first()
    assert second.code == "ALREADY_BANNED"
    assert second.details["changed"] is False
    assert "remove" in side_effects.names()  # re-running the idempotent effects repairs a missed one


def test_it_refuses_to_ban_staff(moderator, admin_user):
    with pytest.raises(CannotBanStaff) as caught:
        moderation.player_ban(user=moderator, actor=admin_user, reason="oops")
    assert caught.value.status == 409
    moderator.refresh_from_db()
    assert moderator.status == User.Status.ACTIVE
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_it_requires_a_short_reason_to_ban(alice, moderator, reason):
    with pytest.raises(ValidationFailed):
        moderation.player_ban(user=alice, actor=moderator, reason=reason)
    alice.refresh_from_db()
    assert alice.status == User.Status.ACTIVE


def test_it_unbans_with_the_score_the_player_had(
    alice, moderator, side_effects, django_capture_on_commit_callbacks
):
    flag_for(alice, increment=300)
    moderation.player_ban(user=alice, actor=moderator, reason="suspicious")
    side_effects.calls.clear()
    with django_capture_on_commit_callbacks(execute=True):
        user = moderation.player_unban(user=alice, actor=moderator, reason="appeal accepted")
    assert user.status == User.Status.ACTIVE
    assert user.score == 300
    assert set(side_effects.names()) == {"restore", "broadcast"}
    assert AuditEntry.objects.filter(
        event=AuditEntry.Event.PLAYER_UNBANNED, reason="appeal accepted"
    ).exists()


def test_it_unbans_an_active_player_as_a_no_op(
    alice, moderator, side_effects, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        user = moderation.player_unban(user=alice, actor=moderator, reason="nothing to do")
    assert user.status == User.Status.ACTIVE
    assert side_effects.calls == []
    assert AuditEntry.objects.get(event=AuditEntry.Event.PLAYER_UNBANNED).code == "NOT_BANNED"


def test_it_approves_a_flag_and_keeps_the_score(alice, moderator):
    flag = flag_for(alice, increment=100)
    settled = moderation.flag_approve(flag=flag, actor=moderator, note="legit speedrunner")
    assert settled.status == Flag.Status.APPROVED
    assert settled.resolved_by == moderator
    assert settled.resolution_note == "legit speedrunner"
    alice.refresh_from_db()
    assert alice.score == 100
    assert AuditEntry.objects.filter(event=AuditEntry.Event.FLAG_APPROVED, subject=alice).exists()


def test_it_voids_a_flag_with_a_compensating_entry(
    alice, moderator, side_effects, django_capture_on_commit_callbacks
):
    make_player("zed", score=0)
    flag_for(alice, increment=50)
    flag = flag_for(alice, increment=100)
    with django_capture_on_commit_callbacks(execute=True):
        settled = moderation.flag_void(flag=flag, actor=moderator, note="impossible time")
    assert settled.status == Flag.Status.VOIDED
    alice.refresh_from_db()
    assert alice.score == 50 == ledger_sum(alice)
    reversal = ScoreHistory.objects.get(kind=ScoreHistory.Kind.VOID)
    assert (reversal.increment, reversal.reverses, reversal.completed_by) == (
        -100,
        flag.score_history,
        moderator,
    )
    assert (reversal.previous_score, reversal.new_score) == (150, 50)
    assert ScoreHistory.objects.filter(pk=flag.score_history_id).exists()  # never deleted
    assert "broadcast" in side_effects.names()
    audit = AuditEntry.objects.get(event=AuditEntry.Event.FLAG_VOIDED)
    assert audit.details["reversalId"] == reversal.pk


def test_it_refuses_to_settle_a_settled_flag(alice, moderator):
    flag = flag_for(alice)
    moderation.flag_void(flag=flag, actor=moderator)
    with pytest.raises(FlagAlreadySettled) as caught:
        moderation.flag_approve(flag=flag, actor=moderator)
    assert caught.value.status == 409 and caught.value.code == "FLAG_ALREADY_SETTLED"


def test_it_voids_only_once_when_two_moderators_race_with_stale_copies(alice, moderator, admin_user):
    flag = flag_for(alice, increment=100)
    stale = Flag.objects.get(pk=flag.pk)  # the second moderator loaded the page before the first voided
    moderation.flag_void(flag=flag, actor=moderator)
    with pytest.raises(FlagAlreadySettled):
        moderation.flag_void(flag=stale, actor=admin_user)
    alice.refresh_from_db()
    assert alice.score == 0 == ledger_sum(alice)
    assert ScoreHistory.objects.filter(kind=ScoreHistory.Kind.VOID).count() == 1


def test_it_reverses_a_completion_once_when_two_flags_point_at_it(alice, moderator):
    first = flag_for(alice, increment=100)
    second = flag_for(alice, entry=first.score_history)
    moderation.flag_void(flag=first, actor=moderator)
    settled = moderation.flag_void(flag=second, actor=moderator)
    assert settled.status == Flag.Status.VOIDED
    alice.refresh_from_db()
    assert alice.score == 0 == ledger_sum(alice)
    assert AuditEntry.objects.filter(code="NOTHING_TO_REVERSE").count() == 1


def test_it_voids_the_score_of_a_banned_player_too(alice, moderator):
    flag = flag_for(alice, increment=100)
    moderation.player_ban(user=alice, actor=None, reason="automatic: 5 open flags")
    moderation.flag_void(flag=flag, actor=moderator)
    alice.refresh_from_db()
    assert alice.score == 0 and alice.is_banned
    assert AuditEntry.objects.get(event=AuditEntry.Event.AUTO_BAN).details["automatic"] is True
