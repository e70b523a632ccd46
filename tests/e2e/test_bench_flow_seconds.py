"""The flows phase reports its completions by second of the phase: a slow start shows."""

from __future__ import annotations

from bench.flows import FlowStats


def test_completions_are_grouped_by_the_second_they_were_sent_in():
    stats = FlowStats(complete_ms=[120.0, 80.0, 10.0, 20.0, 30.0], complete_at=[0.2, 0.9, 1.1, 1.5, 3.0])
    assert [(s["second"], s["n"], s["max"]) for s in stats.complete_by_second()] == [
        (0, 2, 120.0),
        (1, 2, 20.0),
        (3, 1, 30.0),
    ]
    assert stats.describe()["completeBySecond"] == stats.complete_by_second()
