"""The token of an ``Authorization: Bearer <token>`` header: one reading for the REST API,
the sockets and ``/metrics``. The scheme is matched in any case (RFC 7235: ``bearer`` and
``BEARER`` are ``Bearer``)."""

from __future__ import annotations


def bearer_token(header: str) -> str | None:
    """The token, or None when the header is not a bearer one (or carries no token)."""
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token
