"""Validated access tokens, remembered per process by their exact text.

Decoding an access token (base64, JSON, the HMAC, simplejwt's claim checks) was about 5 %
of an app process's CPU under the flows load (py-spy, docs/benchmarks.md, fifth session).
What it finds depends only on the token's bytes and the signing key, except whether the
token has expired: so a token that validated once is not decoded again, and its expiry is
checked on every use. Revocation is not decided here: the database decides it on every
request, after this (``auth_query``). Only valid tokens are remembered, at most
``MAX_TOKENS`` per process (least recently used first out).
"""

from __future__ import annotations

import time
from functools import lru_cache

from rest_framework_simplejwt.tokens import AccessToken

MAX_TOKENS = 4096


@lru_cache(maxsize=MAX_TOKENS)
def _validated(raw: bytes) -> AccessToken:
    return AccessToken(raw)  # type: ignore[arg-type]  # the raw token (simplejwt's hint says Token)


def validated_access_token(raw: bytes | str) -> AccessToken:
    """The access token ``raw`` after simplejwt's checks; raises simplejwt's TokenError
    (an invalid or expired token) like ``AccessToken(raw)``."""
    key = raw if isinstance(raw, bytes) else raw.encode()  # as PyJWT encodes a str token
    token = _validated(key)
    if token.payload["exp"] <= time.time():
        return AccessToken(key)  # type: ignore[arg-type]  # expired: simplejwt raises (and says why)
    return token
