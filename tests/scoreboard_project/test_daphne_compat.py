"""autobahn's debug-message arguments: formatted only when a debug message is written."""

from __future__ import annotations

from autobahn.twisted import websocket
from autobahn.websocket import protocol

from scoreboard_project.daphne_compat import _LazyFormatter, patch_daphne


def test_the_arguments_are_not_formatted_until_written():
    patch_daphne()
    patch_daphne()  # idempotent: not wrapped twice
    assert isinstance(protocol.hltype, _LazyFormatter) and not isinstance(
        protocol.hltype.function, _LazyFormatter
    )
    formatted: list[object] = []

    def expensive(value):
        formatted.append(value)
        return f"<{value}>"

    argument = _LazyFormatter(expensive)(7)
    assert formatted == []  # a dropped debug message costs nothing
    assert f"{argument}" == "<7>" and str(argument) == "<7>" and formatted == [7, 7]


def test_what_is_written_reads_as_before():
    patch_daphne()
    real_hltype = protocol.hltype.function
    assert str(protocol.hltype(test_what_is_written_reads_as_before)) == real_hltype(
        test_what_is_written_reads_as_before
    )
    assert str(websocket.hlval(42)) == websocket.hlval.function(42)
    assert str(protocol.pformat([("a", 1)])) == "[('a', 1)]"
    assert str(protocol.Timings()) == "{}"  # a __str__ still returns text
