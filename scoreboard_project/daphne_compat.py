"""Two gaps in daphne that the contract does not allow, closed when the ASGI app loads.

Both patches wrap one method of daphne's own classes and are applied once, at import
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


def patch_daphne() -> None:
    allow_protocol_close_codes()
    redact_access_log()
