"""Opaque keyset cursors: a position in board order, bound to its board and period, signed.

``<base64url JSON>.<base64url HMAC-SHA256 (first 16 bytes)>``, keyed with a key derived
from SECRET_KEY. A cursor from another board or period, or one whose bytes were changed,
does not verify and answers 400 VALIDATION_ERROR.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

from django.conf import settings

from scoreboard_project.errors import ValidationFailed

from .redis_pages import Position

_UUID_HEX = frozenset("0123456789abcdef-")


def _key() -> bytes:
    return hashlib.sha256(b"leaderboard-cursor:" + settings.SECRET_KEY.encode()).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(board_key: str, period_id: str, body: str) -> str:
    message = f"{board_key}\n{period_id}\n{body}".encode()
    return _b64(hmac.new(_key(), message, hashlib.sha256).digest()[:16])


def cursor_encode(*, board_key: str, period_id: str, after: Position) -> str:
    body = _b64(
        json.dumps([after.rank_score, after.updated_at_us, after.user_id], separators=(",", ":")).encode()
    )
    return f"{body}.{_sign(board_key, period_id, body)}"


def cursor_decode(cursor: str, *, board_key: str, period_id: str) -> Position:
    refused = ValidationFailed(details={"cursor": ["Not a cursor of this board and period."]})
    body, dot, signature = cursor.partition(".")
    # A cursor is ASCII (base64url): compare_digest refuses to compare other text (a TypeError).
    if (
        not dot
        or len(cursor) > 200
        or not cursor.isascii()
        or not hmac.compare_digest(signature, _sign(board_key, period_id, body))
    ):
        raise refused
    try:
        rank_score, micros, user_id = json.loads(_unb64(body))
    except (ValueError, TypeError) as exc:
        raise refused from exc
    if not (
        isinstance(rank_score, int)
        and isinstance(micros, int)
        and isinstance(user_id, str)
        and len(user_id) == 36
        and set(user_id) <= _UUID_HEX
    ):
        raise refused
    return Position(rank_score, micros, user_id)
