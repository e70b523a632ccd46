"""The in-process sliding windows (the embedded default's limits)."""

from __future__ import annotations

from scoreboard_project.limit_counter import LocalCounter, Window

DAY = Window("actions.complete.day:alice", 86_400, 2)


def test_a_window_holds_its_limit_in_any_span_and_says_how_long_to_wait():
    counter = LocalCounter()
    assert counter.take([DAY], 1_000.0, False) == [0.0]
    assert counter.take([DAY], 1_010.0, False) == [0.0]
    assert counter.take([DAY], 50_000.0, False) == [86_400 - 49_000]  # until the first is a day old
    assert counter.take([DAY], 87_400.0, False) == [0.0]  # the refused one was not recorded


def test_forgetting_idle_windows_keeps_a_long_window_a_short_call_outlives():
    """Pruning judged every window by the longest period of the call that pruned: a
    second's call forgot a day's window two seconds after its events."""
    counter = LocalCounter()
    counter.MAX_WINDOWS = 10
    counter.take([DAY], 1_000.0, False)
    counter.take([DAY], 1_000.0, False)
    for index in range(12):  # short windows enough to prune, two seconds later
        counter.take([Window(f"actions.complete.second:p{index}", 1, 1)], 1_002.0, False)
    assert counter.take([DAY], 1_003.0, False) == [86_400 - 3]  # still full
