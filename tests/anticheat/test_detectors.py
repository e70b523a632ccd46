"""Each detector fires on its bot signature and stays silent on human-like play.

The detectors are pure functions of a trace (``tests/helpers/traces.py``); the API
tests at the end check the wiring: flags on the right ledger row, the ban at the
threshold, and a detector error never blocking a score.
"""

from __future__ import annotations

import random

import pytest

from anticheat.baselines import Baseline
from tests.helpers.traces import MIN_MS, bot, human, reasons, replay


def first_flag(steps, **kwargs) -> tuple[int, set[str]] | None:
    for n, findings in enumerate(replay(steps, **kwargs), start=1):
        if findings:
            return n, {f.reason for f in findings}
    return None


def test_it_leaves_two_hundred_human_like_players_alone():
    rng = random.Random(20261129)
    flagged = [i for i in range(200) if reasons(human(rng))]
    assert flagged == []


def test_it_flags_durations_pinned_near_the_minimum():
    rng = random.Random(1)
    steps = bot(rng, lambda: MIN_MS + rng.uniform(0, 240))  # "claim 201 ms more than the minimum"
    n, found = first_flag(steps)
    assert n == 10 and "near_minimum_timing" in found


def test_it_flags_durations_with_almost_no_spread():
    rng = random.Random(2)
    steps = bot(rng, lambda: 2600 * rng.uniform(0.95, 1.05))  # a plausible time, +-5 %
    n, found = first_flag(steps)
    assert n == 10 and found == {"low_spread"}


def test_it_flags_a_machine_regular_rhythm():
    rng = random.Random(3)
    steps = bot(rng, lambda: MIN_MS * random.Random(rng.random()).uniform(1.5, 4), period=7.0)
    steps = [(gap + rng.uniform(-0.02, 0.02), s, c) for gap, s, c in steps]
    n, found = first_flag(steps)
    assert n == 11 and found == {"regular_rhythm"}


def test_it_flags_claims_ahead_of_the_server_clock():
    rng = random.Random(4)
    # Sleeps 200 ms less than it claims (the clock rule tolerates 250): its claims run ahead.
    steps = bot(rng, lambda: MIN_MS * rng.uniform(1.5, 4), claim=lambda d: round(d + 200))
    n, found = first_flag(steps)
    assert n == 10 and found == {"claimed_offset"}


def test_it_flags_a_hard_coded_completion_time():
    rng = random.Random(5)
    steps = bot(rng, lambda: 2500 + rng.uniform(0, 3000), claim=lambda d: 2500)
    n, found = first_flag(steps)
    assert n == 10 and found == {"claimed_offset"}


def test_it_does_not_flag_an_honest_clients_small_steady_offset():
    rng = random.Random(6)
    # Loopback: the claim is the server's measure less 3 ms, every time. Honest; not a signature.
    steps = [
        (rng.uniform(6.5, 30), round(d) + 3, round(d))
        for d in (MIN_MS * 2.5 * 2.718 ** rng.gauss(0, 0.5) + 200 for _ in range(40))
    ]
    assert reasons(steps) == set()


def test_it_flags_play_at_the_limits_for_five_minutes(settings):
    rng = random.Random(7)
    steps = [(6.0 + rng.uniform(0, 0.6), round(MIN_MS * rng.uniform(1.5, 4)), None) for _ in range(60)]
    verdicts = [{f.reason for f in findings} for findings in replay(steps)]
    first = next(i for i, v in enumerate(verdicts, start=1) if "score_velocity" in v)
    assert 45 <= first <= 50  # 90 % of the 50 completions the limits allow in 300 s


def test_it_flags_players_far_faster_than_the_established_ones():
    rng = random.Random(8)
    baseline = Baseline("COMPLETE_LEVEL", players=40, median_ms=2600, threshold_ms=1500, computed_at="")
    fast = bot(rng, lambda: MIN_MS * 2.718 ** rng.gauss(0.25, 0.4))  # median 1.28 x min, spread like a human
    assert "fast_completion" in reasons(fast, baseline=baseline)
    assert "fast_completion" not in reasons(human(rng), baseline=baseline)


@pytest.mark.parametrize("seed", range(5))
def test_it_catches_every_signature_within_twenty_completions(seed):
    rng = random.Random(100 + seed)
    families = [
        bot(rng, lambda: MIN_MS + rng.uniform(0, 250)),
        bot(rng, lambda: MIN_MS * 2 * rng.uniform(0.95, 1.05)),
        bot(rng, lambda: MIN_MS * rng.uniform(1.5, 4), period=rng.uniform(6.5, 12)),
        bot(rng, lambda: 3000 + rng.uniform(0, 4000), claim=lambda d: 3000),
    ]
    for steps in families:
        flagged = first_flag(steps)
        assert flagged is not None and flagged[0] <= 20


def test_it_does_not_flag_honest_claims_when_the_network_is_slow_and_jittery():
    rng = random.Random(9)
    steps = [(gap, server + round(rng.expovariate(1 / 800)), claimed) for gap, server, claimed in human(rng)]
    assert reasons(steps) == set()
