"""Signing and verifying action tokens, secrets rotating."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from actions.exceptions import InvalidActionToken
from actions.tokens import key_id_for, token_sign, token_verify


def sign(**overrides) -> tuple[str, str]:
    now = timezone.now()
    fields = {
        "user_id": uuid.uuid4(),
        "action_id": uuid.uuid4(),
        "action_type": "COMPLETE_LEVEL",
        "points": 100,
        "issued_at": now,
        "expires_at": now + timedelta(seconds=300),
    }
    return token_sign(**{**fields, **overrides})


def reason_of(token: str, **kwargs) -> str:
    with pytest.raises(InvalidActionToken) as caught:
        token_verify(token, now=kwargs.get("now", timezone.now()))
    return caught.value.details["reason"]


def test_it_round_trips_the_claims(settings):
    settings.ACTION_TOKEN_SECRETS = ["first-secret", "second-secret"]
    user_id, action_id = uuid.uuid4(), uuid.uuid4()
    token, kid = sign(user_id=user_id, action_id=action_id)
    claims = token_verify(token, now=timezone.now())
    assert (claims.user_id, claims.action_id, claims.points, claims.action_type) == (
        user_id,
        action_id,
        100,
        "COMPLETE_LEVEL",
    )
    assert kid == claims.key_id == key_id_for("first-secret")
    assert "first-secret" not in token


def test_it_verifies_a_token_signed_with_the_second_secret(settings):
    settings.ACTION_TOKEN_SECRETS = ["old-secret"]
    token, _ = sign()
    settings.ACTION_TOKEN_SECRETS = ["new-secret", "old-secret"]  # rotation: new first, old still listed
    assert token_verify(token, now=timezone.now()).key_id == key_id_for("old-secret")


def test_it_refuses_a_token_signed_with_an_unknown_secret(settings):
    settings.ACTION_TOKEN_SECRETS = ["retired-secret"]
    token, _ = sign()
    settings.ACTION_TOKEN_SECRETS = ["new-secret", "old-secret"]
    assert reason_of(token) == "signature"


def test_it_refuses_tampered_and_malformed_tokens():
    token, _ = sign(points=100)
    version, kid, body, signature = token.split(".")
    forged_body, _ = sign(points=100000)
    assert reason_of(f"{version}.{kid}.{forged_body.split('.')[2]}.{signature}") == "signature"
    assert reason_of(f"{version}.{kid}.{body}.{signature[:-4]}") == "signature"
    assert reason_of(token + ".extra") == "malformed"
    assert reason_of("v2." + token[3:]) == "malformed"
    assert reason_of("") == "malformed"
    assert reason_of(f"{version}.{kid}.{body}.***") in ("malformed", "signature")
    # Text beyond ASCII in any part: was a UnicodeEncodeError from the MAC (a 500).
    assert reason_of(f"{version}.k\u00e4.{body}.{signature}") == "malformed"
    assert reason_of(f"{version}.{kid}.{body}\u00e4.{signature}") == "malformed"
    assert reason_of(f"{version}.{kid}.{body}.{signature}\u00e4") == "malformed"


def test_it_refuses_an_expired_token():
    token, _ = sign()
    assert reason_of(token, now=timezone.now() + timedelta(seconds=301)) == "expired"
