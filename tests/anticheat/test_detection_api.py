"""The detectors wired to the scoring path: flags on the ledger row with evidence a
moderator can read (admin and /admin/flags), the ban at the threshold, baselines that
only established players in good standing make, and a detector error never blocking."""

from __future__ import annotations

import random
from dataclasses import replace
from unittest import mock

import pytest

from accounts.models import User
from anticheat.baselines import baseline_compute, baseline_get, baselines_refresh
from anticheat.models import AuditEntry, Flag
from leaderboard.services import score_history_record
from tests.helpers.actions import age_action, complete_token, request_token
from tests.helpers.players import make_player

pytestmark = pytest.mark.django_db


def play(client, server_ms: int, claim_ms: int | None = None, action_type: str = "COMPLETE_LEVEL"):
    """Request; move the start back by ``server_ms`` (the player took that long); complete honestly."""
    issued = request_token(client, action_type)
    age_action(issued["actionId"], server_ms / 1000)
    return complete_token(client, issued, claim_ms if claim_ms is not None else server_ms - 5)


@pytest.fixture
def no_rhythm(settings):
    """These tests complete many actions within milliseconds of each other: the rhythm
    between completions is the test runner's, not the player's."""
    settings.ANTICHEAT_RHYTHM_MAX = 0.0
    return settings


def test_it_flags_a_bot_pinned_at_the_minimum_and_bans_it_at_the_threshold(
    alice, client_for, many_completions, no_rhythm, django_capture_on_commit_callbacks
):
    no_rhythm.ANOMALY_DETECTION_THRESHOLD = 5
    client = client_for(alice)
    rng = random.Random(11)
    with (
        mock.patch("leaderboard.ranking_writes.ranking_remove_player"),
        mock.patch("leaderboard.broadcast.broadcaster.disconnect_banned_user"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        for n in range(1, 17):
            assert play(client, 1000 + rng.randint(20, 100)).status_code == 200  # flagged, never blocked
            if n < 10:
                assert not Flag.objects.exists()  # a window of 10 before any judgement
            alice.refresh_from_db()
            if alice.is_banned:
                break
    # The server's measure includes the test client's own time: on a loaded machine a
    # completion may fall outside the margin, so the exact completion may vary a little.
    assert alice.status == User.Status.BANNED and alice.score == 100 * n and n <= 16
    assert Flag.objects.filter(user=alice, status="open").count() >= 5
    flags = list(Flag.objects.filter(user=alice, reason="near_minimum_timing").order_by("id"))
    evidence = flags[0].evidence
    assert (
        evidence["nearMinimum"] >= 8 and evidence["ceilingMs"] == 1250 and len(evidence["durationsMs"]) == 10
    )
    assert all(d >= 1000 for d in evidence["durationsMs"])  # the server's measures, not claims
    assert f"{evidence['nearMinimum']} of the last 10 server-measured durations" in evidence["rule"]
    assert flags[0].score_history.server_elapsed_ms == evidence["durationsMs"][0]
    assert AuditEntry.objects.filter(event="auto_ban", subject=alice).exists()


def test_it_judges_the_servers_measure_not_the_claim(alice, client_for, many_completions, no_rhythm):
    client = client_for(alice)
    for _ in range(10):  # the claims sit at 1050 ms; the server measured its own, just above the minimum
        assert play(client, 1050 + random.randint(0, 50), claim_ms=1050).status_code == 200
    assert "near_minimum_timing" in set(Flag.objects.values_list("reason", flat=True))


def test_it_leaves_a_human_like_player_alone(alice, client_for, many_completions, no_rhythm):
    client = client_for(alice)
    rng = random.Random(7)
    for _ in range(20):
        server_ms = round(2500 * 2.718 ** rng.gauss(0, 0.5)) + 1000
        assert play(client, server_ms, claim_ms=server_ms - rng.randint(3, 40)).status_code == 200
    assert not Flag.objects.exists()


def test_it_shows_the_rule_and_numbers_to_moderators(
    alice, admin_user, client, client_for, many_completions, no_rhythm
):
    player = client_for(alice)
    for _ in range(10):
        assert play(player, 2600 + random.randint(0, 40)).status_code == 200  # +-1 %: low spread
    flag = Flag.objects.get(user=alice)
    assert flag.reason == "low_spread" and flag.evidence["spread"] < 0.04
    listed = client_for(admin_user).get("/api/v1/admin/flags").json()["data"]["flags"]
    assert listed[0]["reason"] == "low_spread" and listed[0]["evidence"]["rule"] == flag.evidence["rule"]
    assert listed[0]["evidence"]["durationsMs"] == flag.evidence["durationsMs"]
    client.force_login(admin_user)
    queue = client.get("/admin/anticheat/flag/").content.decode()
    assert "rule that fired" in queue.lower() and "server-measured durations vary by" in queue
    page = client.get(f"/admin/anticheat/flag/{flag.pk}/change/").content.decode()
    assert "durationsMs" in page and f"{flag.evidence['threshold']}" in page


def test_it_never_blocks_a_score_on_a_detector_error(alice, client_for):
    with mock.patch("anticheat.services.recent_history", side_effect=RuntimeError("boom")):
        response = play(client_for(alice), 5000)
    assert response.status_code == 200
    alice.refresh_from_db()
    assert alice.score == 100


def established(name: str, median_ms: int, count: int = 10) -> User:
    player = make_player(name)
    for i in range(count):
        score_history_record(
            user=player,
            increment=100,
            action_type="COMPLETE_LEVEL",
            completion_time_ms=None,
            server_elapsed_ms=median_ms + 10 * (i - count // 2),
        )
    return player


def test_it_builds_baselines_only_from_established_players_in_good_standing(settings):
    settings.ANTICHEAT_BASELINE_MIN_PLAYERS = 5
    for i in range(5):
        established(f"regular{i}", 3000 + 100 * i)
    established("newcomer", 1000, count=9)  # not enough history
    sybils = [established(f"sybil{i}", 1001) for i in range(4)]
    for sybil in sybils[:2]:
        Flag.objects.create(user=sybil, reason="low_spread")
    sybils[2].status = User.Status.BANNED
    sybils[2].save()
    baseline = baseline_compute("COMPLETE_LEVEL")
    # 5 regulars + 1 unflagged sybil vote; the median barely moves.
    assert baseline.players == 6 and 3000 <= baseline.median_ms <= 3200
    assert 1001 < baseline.threshold_ms < 3000
    assert baseline_get("COMPLETE_LEVEL") is None  # never computed on the request path
    baselines_refresh()
    assert replace(baseline_get("COMPLETE_LEVEL"), computed_at="") == replace(baseline, computed_at="")


def test_it_has_no_baseline_below_the_minimum_number_of_players(settings):
    settings.ANTICHEAT_BASELINE_MIN_PLAYERS = 5
    for i in range(4):
        established(f"regular{i}", 3000)
    assert baseline_compute("COMPLETE_LEVEL") is None


def test_it_flags_a_player_far_faster_than_the_baseline(
    alice, client_for, many_completions, no_rhythm, settings
):
    settings.ANTICHEAT_BASELINE_MIN_PLAYERS = 5
    for i in range(6):
        established(f"regular{i}", 20_000 + 3000 * i)
    baselines_refresh()
    client = client_for(alice)
    rng = random.Random(3)
    for _ in range(10):  # 2-4 s: irregular, well above the minimum, but far below everyone established
        assert play(client, rng.randint(2000, 4000)).status_code == 200
    flag = Flag.objects.get(user=alice)
    assert flag.reason == "fast_completion" and flag.evidence["baselinePlayers"] == 6
    assert flag.evidence["playerMedianMs"] < flag.evidence["baselineThresholdMs"]
