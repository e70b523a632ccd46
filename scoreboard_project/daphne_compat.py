"""Gaps in daphne that the contract does not allow, closed when the ASGI app loads.

The patches wrap one method of daphne's own classes and are applied once, at import
of ``scoreboard_project.asgi``, before daphne builds its server; under another server
(uvicorn) they do nothing.
"""

from __future__ import annotations

from .logging import redact

# RFC 6455 codes a server may send that autobahn's public ``sendClose`` refuses (it
# allows only 1000 and 3000-4999): 1008 policy violation (a message flood), 1009 a
# message too big (over 4 KiB), 1011 internal error, 1013 try again later (too slow).
PROTOCOL_CLOSE_CODES = frozenset({1001, 1008, 1009, 1011, 1013})


def allow_protocol_close_codes() -> None:
    """Let the consumers close with 1008/1009/1011/1013 as the contract requires."""
    try:
        from daphne.ws_protocol import WebSocketProtocol
    except ImportError:
        return
    if getattr(WebSocketProtocol.serverClose, "allows_protocol_codes", False):
        return
    original = WebSocketProtocol.serverClose

    def serverClose(self, code=None):  # noqa: N802 - daphne's name
        if code in PROTOCOL_CLOSE_CODES:
            # What sendClose does after its range check: the close frame itself.
            self.sendCloseFrame(code=code, isReply=False)
            return
        original(self, code)

    serverClose.allows_protocol_codes = True
    WebSocketProtocol.serverClose = serverClose


def redact_access_log() -> None:
    """Keep tokens out of daphne's access log, which writes raw query strings.

    daphne prints ``GET /path?token=...`` to its stream itself, past Python logging, so
    the logging filter never sees it; a client passing ``?token=`` on any URL leaves
    ``token=[redacted]`` behind.
    """
    try:
        from daphne.access import AccessLogGenerator
    except ImportError:
        return
    if getattr(AccessLogGenerator.write_entry, "redacts_tokens", False):
        return
    original = AccessLogGenerator.write_entry

    def write_entry(self, host, date, request, *args, **kwargs):
        return original(self, host, date, redact(request), *args, **kwargs)

    write_entry.redacts_tokens = True
    AccessLogGenerator.write_entry = write_entry


def refuse_large_bodies() -> None:
    """Answer 413 to a body over MAX_BODY_BYTES before twisted reads it.

    twisted reads a request's whole body (to a temporary file past 100 KB) before daphne
    hands the request to the application. A declared ``Content-Length`` over the limit is
    refused as soon as the headers are in; a chunked body the moment it passes the limit.
    The connection is then closed, and whatever the client still sends is discarded.
    """
    try:
        from daphne.http_protocol import WebRequest
    except ImportError:
        return
    if getattr(WebRequest.gotLength, "refuses_large_bodies", False):
        return
    from django.conf import settings

    from .body_limit import too_large_response_bytes

    original_length, original_chunk = WebRequest.gotLength, WebRequest.handleContentChunk

    def refuse(self) -> None:
        self.body_refused = True
        transport = self.channel.transport
        transport.write(too_large_response_bytes())
        transport.loseConnection()

    def gotLength(self, length):  # noqa: N802 - twisted's name
        self.body_received, self.body_refused = 0, False
        if length is not None and length > settings.MAX_BODY_BYTES:
            refuse(self)
            return None
        return original_length(self, length)

    def handleContentChunk(self, data):  # noqa: N802 - twisted's name
        if getattr(self, "body_refused", False):
            return None  # discarded, never stored
        self.body_received = getattr(self, "body_received", 0) + len(data)
        if self.body_received > settings.MAX_BODY_BYTES:
            refuse(self)
            return None
        return original_chunk(self, data)

    def process(self):
        if getattr(self, "body_refused", False):
            return None
        return original_process(self)

    original_process = WebRequest.process
    gotLength.refuses_large_bodies = True
    WebRequest.gotLength, WebRequest.handleContentChunk, WebRequest.process = (
        gotLength,
        handleContentChunk,
        process,
    )


class _Later:
    """A debug message's argument, formatted only if a debug message is ever written."""

    __slots__ = ("function", "value")

    def __init__(self, function, value) -> None:
        self.function, self.value = function, value

    def __str__(self) -> str:
        return str(self.function(self.value))

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def lazy_autobahn_debug_arguments() -> None:
    """Stop autobahn from formatting debug messages nobody logs.

    autobahn builds the arguments of its ``log.debug`` calls before the call: a ``pformat``
    of its 40 options for every socket opened, and three ``click.style`` highlights for
    every frame sent (``sendData``). With logging at INFO the message is dropped, but the
    work was done: 15 % of the CPU of opening a socket here. The arguments are now
    formatted when (if ever) a debug message is written.
    """
    try:
        from autobahn.twisted import websocket
        from autobahn.websocket import protocol
    except ImportError:
        return
    if isinstance(protocol.hltype, _LazyFormatter):
        return
    pformat = protocol.pformat
    for module, names in ((protocol, ("pformat", "hltype", "hlval")), (websocket, ("hltype", "hlval"))):
        for name in names:
            setattr(module, name, _LazyFormatter(getattr(module, name)))
    # The one pformat outside a debug call: a __str__, which must return the text itself.
    protocol.Timings.__str__ = lambda self: pformat(self._timings)


class _LazyFormatter:
    __slots__ = ("function",)

    def __init__(self, function) -> None:
        self.function = function

    def __call__(self, value, *args, **kwargs):
        if args or kwargs:
            return self.function(value, *args, **kwargs)
        return _Later(self.function, value)


def skip_twisted_request_bookkeeping() -> None:
    """Stop twisted from doing, per HTTP request, work whose result nobody reads.

    - ``HTTPFactory.log``: with no log path twisted formats a combined-log line for every
      request and writes it to its legacy log (kept in a buffer nobody reads; daphne's own
      access log is written separately, by ``AccessLogGenerator``).
    - Form parsing of POST bodies: twisted parses the ``Content-Type`` of every POST
      through ``email.message`` and, for form bodies, the body into ``request.args``;
      daphne passes the raw body to the application and never reads ``args``.

    Measured under the flows of ``make bench`` (py-spy ``--gil``), the two were about a
    quarter of the serving thread's time, an eighth of the process's (docs/benchmarks.md).
    """
    try:
        from daphne.http_protocol import HTTPFactory, WebRequest
    except ImportError:
        return
    if getattr(WebRequest.__init__, "skips_form_parsing", False):
        return
    original_init = WebRequest.__init__

    def __init__(self, *args, **kwargs):  # noqa: N807 - the method replaced
        original_init(self, *args, **kwargs)
        self._parsePOSTFormSubmission = False

    def log(self, request) -> None:  # noqa: ARG001 - twisted's signature
        return None

    __init__.skips_form_parsing = True
    WebRequest.__init__ = __init__
    HTTPFactory.log = log


def close_failed_sockets_with_a_frame() -> None:
    """A socket autobahn fails itself gets a close frame with the reason's code.

    autobahn fails a connection daphne's options refuse (a message over its 1 MiB, where
    the consumers' own 4 KiB check never sees it; a protocol error) by dropping the TCP
    connection (``failByDrop``, its default): the client saw 1006 where the contract says
    1009. With it off, autobahn sends the close frame (1009, 1002, 1007) and closes.
    """
    try:
        from daphne.ws_protocol import WebSocketFactory
    except ImportError:
        return
    if getattr(WebSocketFactory.setProtocolOptions, "closes_with_a_frame", False):
        return
    original = WebSocketFactory.setProtocolOptions

    def setProtocolOptions(self, *args, **kwargs):  # noqa: N802 - autobahn's name
        kwargs.setdefault("failByDrop", False)
        return original(self, *args, **kwargs)

    setProtocolOptions.closes_with_a_frame = True
    WebSocketFactory.setProtocolOptions = setProtocolOptions


def patch_daphne() -> None:
    allow_protocol_close_codes()
    close_failed_sockets_with_a_frame()
    redact_access_log()
    refuse_large_bodies()
    lazy_autobahn_debug_arguments()
    skip_twisted_request_bookkeeping()
