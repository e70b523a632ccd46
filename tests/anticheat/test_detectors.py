"""Anomaly detection: a scripted bot is flagged and banned, a human is left alone."""

from __future__ import annotations

import random
from unittest import mock

import pytest

from accounts.models import User
from anticheat.models import AuditEntry, Flag
from leaderboard.services import score_history_record
from tests.conftest import age_action, complete_token, make_player, request_token

pytestmark = pytest.mark.django_db


def play(client, completion_ms: int, action_type: str = "COMPLETE_LEVEL", completer=None):
    """Request, wait (by moving the start back) as long as the claimed time, complete."""
    issued = request_token(client, action_type)
    age_action(issued["actionId"], completion_ms / 1000 + 0.5)
    return complete_token(completer or client, issued, completion_ms)


def seed_type_baseline(count: int = 6, around_ms: int = 60_000) -> None:
    for i in range(count):
        player = make_player(f"regular{i}")
        score_history_record(user=player, increment=100, action_type="COMPLETE_LEVEL",
                             completion_time_ms=around_ms + 1000 * i)


def test_it_flags_repeated_near_minimum_timings(alice, client_for, many_completions):
    client = client_for(alice)
    for i in range(5):
        assert play(client, 1010 + 20 * i).status_code == 200
    assert not Flag.objects.exists()
    response = play(client, 1050)
    assert response.status_code == 200  # flagged, not blocked
    flag = Flag.objects.get()
    assert flag.reason == "near_minimum_timing" and flag.user == alice and flag.status == "open"
    assert flag.score_history.action_id is not None and flag.evidence["nearMinimum"] == 6
    assert AuditEntry.objects.filter(event="flag_raised", subject=alice).count() == 1
    alice.refresh_from_db()
    assert alice.score == 600


def test_it_bans_a_scripted_bot_at_the_threshold(alice, client_for, many_completions, settings,
                                                django_capture_on_commit_callbacks):
    settings.ANOMALY_DETECTION_THRESHOLD = 5
    client = client_for(alice)
    with mock.patch("leaderboard.ranking.ranking_remove_player") as removed, \
            mock.patch("leaderboard.broadcast.disconnect_banned_user") as disconnected, \
            django_capture_on_commit_callbacks(execute=True):
        for _ in range(10):  # flags from the 6th completion on: the 10th is the 5th flag
            assert play(client, random.randint(1000, 1150)).status_code == 200
    alice.refresh_from_db()
    assert alice.status == User.Status.BANNED
    assert Flag.objects.filter(user=alice, status="open").count() == 5
    ban = AuditEntry.objects.get(event="auto_ban")
    assert ban.subject == alice and ban.actor is None and "pending review" in ban.reason
    removed.assert_called_once()
    disconnected.assert_called_once_with(alice.pk)
    refused = client.post("/api/v1/actions/request", {"actionType": "COMPLETE_LEVEL"}, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "ACCOUNT_BANNED"


def test_it_leaves_a_human_alone(alice, client_for, many_completions):
    seed_type_baseline()
    client = client_for(alice)
    rng = random.Random(7)
    for _ in range(12):
        assert play(client, rng.randint(25_000, 150_000)).status_code == 200
    assert play(client, 1900, "COMPLETE_QUEST").status_code == 200  # one quick quest is no pattern
    assert not Flag.objects.exists()
    alice.refresh_from_db()
    assert alice.status == "active" and alice.score == 1450


def test_it_flags_a_time_far_below_the_types_usual(alice, client_for, many_completions):
    seed_type_baseline()
    response = play(client_for(alice), 4000)
    assert response.status_code == 200
    flag = Flag.objects.get(user=alice)
    assert flag.reason == "fast_completion"
    assert flag.evidence["typeMedianMs"] > 50_000 and flag.evidence["playerMedianMs"] is None


def test_it_flags_a_time_far_below_the_players_own_usual(alice, client_for, many_completions):
    seed_type_baseline()
    client = client_for(alice)
    for ms in (70_000, 80_000, 65_000, 90_000, 75_000):
        assert play(client, ms).status_code == 200
    assert not Flag.objects.exists()
    assert play(client, 9000).status_code == 200
    assert Flag.objects.get(user=alice).evidence["playerMedianMs"] == 75_000


def test_it_flags_a_burst_of_score_velocity(alice, game_server, client_for, many_completions):
    player, server = client_for(alice), client_for(game_server)
    for i in range(6):
        assert play(player, 60_000 + 7000 * i, "DEFEAT_BOSS", completer=server).status_code == 200
    assert not Flag.objects.exists()  # 3000 points in five minutes: at the threshold, not over
    assert play(player, 95_000, "DEFEAT_BOSS", completer=server).status_code == 200
    flag = Flag.objects.get(user=alice)
    assert flag.reason == "score_velocity" and flag.evidence["points"] == 3500


def test_it_never_blocks_a_score_on_a_detector_error(alice, client_for):
    with mock.patch("anticheat.detectors.recent_history", side_effect=RuntimeError("boom")):
        response = play(client_for(alice), 5000)
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.score == 100
