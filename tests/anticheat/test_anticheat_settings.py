"""The ANTICHEAT_* thresholds are read through strict helpers, and the baselines command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from scoreboard_project.env import env_float


@pytest.mark.parametrize("value", ["abc", "nan", "-0.1", "1.5"])
def test_it_refuses_a_bad_threshold_at_start_up(monkeypatch, value):
    monkeypatch.setenv("ANTICHEAT_LOW_SPREAD_MAX", value)
    with pytest.raises(ImproperlyConfigured, match="ANTICHEAT_LOW_SPREAD_MAX"):
        env_float("ANTICHEAT_LOW_SPREAD_MAX", 0.04, maximum=1.0)


def test_it_reads_a_good_threshold(monkeypatch):
    monkeypatch.setenv("ANTICHEAT_LOW_SPREAD_MAX", " 0.05 ")
    assert env_float("ANTICHEAT_LOW_SPREAD_MAX", 0.04, maximum=1.0) == 0.05
    monkeypatch.delenv("ANTICHEAT_LOW_SPREAD_MAX")
    assert env_float("ANTICHEAT_LOW_SPREAD_MAX", 0.04, maximum=1.0) == 0.04


def test_it_recomputes_baselines_on_demand(db, settings):
    from leaderboard.services import score_history_record
    from tests.helpers.players import make_player

    settings.ANTICHEAT_BASELINE_MIN_PLAYERS = 3
    for i in range(3):
        player = make_player(f"regular{i}")
        for j in range(10):
            score_history_record(
                user=player, increment=100, action_type="COMPLETE_LEVEL", server_elapsed_ms=3000 + 10 * j
            )
    make_player("lonely")
    score_history_record(
        user=make_player("quester"), increment=250, action_type="COMPLETE_QUEST", server_elapsed_ms=5000
    )
    out = StringIO()
    call_command("anticheat_baselines", stdout=out)
    assert "COMPLETE_LEVEL: 3 players, median 3045 ms" in out.getvalue()
    assert "COMPLETE_QUEST: not enough established players" in out.getvalue()
