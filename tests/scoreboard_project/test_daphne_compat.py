"""autobahn's debug-message arguments: formatted only when a debug message is written;
twisted's per-request bookkeeping that nobody reads is skipped."""

from __future__ import annotations

import io
from types import SimpleNamespace

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


def test_twisted_writes_no_second_access_log():
    """daphne's own access log stays; twisted's per-request combined-log line is not built."""
    from daphne.http_protocol import HTTPFactory

    patch_daphne()
    factory = HTTPFactory(server=None)
    written = io.StringIO()
    factory._logFile = written

    def formatter(*_args):
        raise AssertionError("the combined-log line was formatted")

    factory._logFormatter = formatter
    factory.log(object())
    assert written.getvalue() == ""


def test_twisted_parses_no_form_bodies():
    """The raw body goes to the application; twisted's own form parsing is off."""
    from daphne.http_protocol import WebRequest
    from twisted.web.test.requesthelper import DummyChannel

    patch_daphne()
    patch_daphne()  # idempotent
    channel = DummyChannel()
    channel.factory = SimpleNamespace(server=SimpleNamespace(protocol_connected=lambda _request: None))
    request = WebRequest(channel)
    assert request._parsePOSTFormSubmission is False
