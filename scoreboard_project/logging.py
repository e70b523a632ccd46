"""Request ids in every log line, and no access token ever written to a log."""

from __future__ import annotations

import contextvars
import logging
import re

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

_TOKEN_IN_TEXT = re.compile(r"(token=)[^&\s\"']+", re.IGNORECASE)
_BEARER_IN_TEXT = re.compile(r"(Bearer\s+)[A-Za-z0-9._\-]+")


def redact(text: str) -> str:
    return _BEARER_IN_TEXT.sub(r"\1[redacted]", _TOKEN_IN_TEXT.sub(r"\1[redacted]", text))


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def redact_server_access_logs() -> None:
    """Keep tokens out of daphne's access log, which writes the raw query string.

    daphne prints ``GET /path?token=...`` to its stream itself, past Python logging, so
    the filter above never sees it. Its writer is wrapped once, when the ASGI module is
    imported (before daphne builds its logger); a client passing ``?token=`` on any URL
    then leaves ``token=[redacted]`` behind.
    """
    try:
        from daphne.access import AccessLogGenerator
    except ImportError:  # another server: uvicorn's access log goes through logging
        return
    if getattr(AccessLogGenerator.write_entry, "redacts_tokens", False):
        return
    original = AccessLogGenerator.write_entry

    def write_entry(self, host, date, request, *args, **kwargs):
        return original(self, host, date, redact(request), *args, **kwargs)

    write_entry.redacts_tokens = True
    AccessLogGenerator.write_entry = write_entry
