"""Signed action tokens: HMAC-SHA256 over a compact payload, verified without the database.

A token reads ``v1.<key id>.<payload>.<signature>`` (base64url, no padding). The payload
carries the user, the action id and type, the points, a nonce, the issue time and the
expiry. New tokens are signed with the first secret of ACTION_TOKEN_SECRETS; a token is
accepted when its signature matches any listed secret, so secrets can rotate. Every
secret is compared (``hmac.compare_digest``), whichever matches, so timing tells nothing.
Only ``token_hash`` (SHA-256 of the whole token) is ever stored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from django.conf import settings

from .exceptions import InvalidActionToken

VERSION = "v1"


@dataclass(frozen=True)
class TokenClaims:
    user_id: UUID
    action_id: UUID
    action_type: str
    points: int
    nonce: str
    issued_at: int
    expires_at: int
    key_id: str


def key_id_for(secret: str) -> str:
    """A public, stable name for a secret: lets operators see which key signed a token."""
    return hashlib.sha256(b"scoreboard-action-key:" + secret.encode()).hexdigest()[:8]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_proof_key() -> str:
    return secrets.token_hex(32)


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, message: str) -> bytes:
    return hmac.new(secret.encode(), message.encode("ascii"), hashlib.sha256).digest()


def token_sign(
    *,
    user_id: UUID,
    action_id: UUID,
    action_type: str,
    points: int,
    issued_at: datetime,
    expires_at: datetime,
) -> tuple[str, str]:
    """The signed token and the id of the key that signed it."""
    secret = settings.ACTION_TOKEN_SECRETS[0]
    kid = key_id_for(secret)
    payload = {
        "u": user_id.hex,
        "a": action_id.hex,
        "t": action_type,
        "p": points,
        "n": secrets.token_hex(8),
        "i": int(issued_at.timestamp()),
        "e": int(expires_at.timestamp()),
    }
    body = _b64encode(json.dumps(payload, separators=(",", ":")).encode())
    message = f"{VERSION}.{kid}.{body}"
    return f"{message}.{_b64encode(_mac(secret, message))}", kid


def _signature_ok(message: str, signature: bytes) -> bool:
    matched = False
    for secret in settings.ACTION_TOKEN_SECRETS:  # no early exit: every secret costs the same
        matched |= hmac.compare_digest(_mac(secret, message), signature)
    return matched


def _parse_claims(kid: str, body: str) -> TokenClaims:
    try:
        data = json.loads(_b64decode(body))
        return TokenClaims(
            user_id=UUID(hex=data["u"]),
            action_id=UUID(hex=data["a"]),
            action_type=str(data["t"]),
            points=int(data["p"]),
            nonce=str(data["n"]),
            issued_at=int(data["i"]),
            expires_at=int(data["e"]),
            key_id=kid,
        )
    except (ValueError, TypeError, KeyError, binascii.Error) as exc:
        raise InvalidActionToken(reason="malformed") from exc


def token_verify(token: str, *, now: datetime) -> TokenClaims:
    """The token's claims, or InvalidActionToken with reason malformed/signature/expired."""
    parts = token.split(".")
    # A token is ASCII (base64url and a hex key id); other text could not be signed (_mac).
    if len(parts) != 4 or parts[0] != VERSION or not all(parts) or not token.isascii():
        raise InvalidActionToken(reason="malformed")
    version, kid, body, signature_text = parts
    try:
        signature = _b64decode(signature_text)
    except (ValueError, binascii.Error) as exc:
        raise InvalidActionToken(reason="malformed") from exc
    if not _signature_ok(f"{version}.{kid}.{body}", signature):
        raise InvalidActionToken(reason="signature")
    claims = _parse_claims(kid, body)
    if claims.expires_at <= int(now.timestamp()):
        raise InvalidActionToken(reason="expired")
    return claims
