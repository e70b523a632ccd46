"""The scoring write path (ARCHITECTURE, "The write path"): request, then complete, an action.

Order of a completion: verify the token without the database (signature, expiry, action
id, owner); count the attempt against the owner's limits (fail closed); claim the token
with one conditional UPDATE; check the proof (a failed proof keeps the token burned);
move the score and write the ledger row in one transaction; run the detectors. Every
refusal is written to the audit trail outside any rolled-back transaction.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction

from accounts.exceptions import AccountBanned
from accounts.models import Role, User
from anticheat.audit import audit_refusal
from anticheat.models import Flag
from leaderboard.services import ScoreChange
from scoreboard_project import metrics
from scoreboard_project.errors import ApplicationError, Forbidden
from scoreboard_project.limits import check_action_request, check_completion_attempt, count_refused_completion

from . import clock
from .catalog import ActionKind, action_kind_get
from .claims import token_claim, token_insert
from .daily_caps import daily_cap_give_back, daily_cap_take
from .exceptions import (
    ActionAlreadyCompleted,
    AuthoritativeAction,
    InvalidActionToken,
    TokenUserMismatch,
    UnknownReference,
)
from .scoring import Proof, already_scored, completion_detect, completion_score, proof_check_or_burn
from .tokens import TokenClaims, new_proof_key, token_hash, token_sign, token_verify

logger = logging.getLogger("scoreboard.actions")


@dataclass(frozen=True)
class IssuedAction:
    action_token: str
    action_id: UUID
    expires_at: datetime
    expected_score: int
    proof_key: str


@dataclass(frozen=True)
class Completion:
    action_id: UUID
    owner: User
    action_type: str
    change: ScoreChange
    flags: list[Flag] = field(default_factory=list)


def _own_user_id(user: User, claimed_user_id: UUID | None) -> None:
    """An alias's ``userId`` names the caller or nothing: another one is FORBIDDEN."""
    if claimed_user_id is not None and claimed_user_id != user.pk:
        raise Forbidden("userId must be your own.", details={"userId": ["must be your own user id"]})


def action_request(
    *,
    user: User,
    action_type: str,
    reference: str = "",
    metadata: dict[str, Any] | None = None,
    claimed_user_id: UUID | None = None,
) -> IssuedAction:
    """Start an action: a signed token, the per-action proof key, the score it will give.
    A refusal reaches the audit trail through the view (``views.AuditedRefusals``)."""
    _own_user_id(user, claimed_user_id)
    check_action_request(user_id=user.pk)
    kind = action_kind_get(action_type)
    if not kind.allows_reference(reference):
        raise UnknownReference(details={"actionType": kind.code, "reference": reference})
    if not kind.repeatable and already_scored(user_id=user.pk, kind=kind, reference=reference):
        raise ActionAlreadyCompleted(details={"actionType": kind.code, "reference": reference})
    cap_key = daily_cap_take(user_id=user.pk, kind=kind)  # last check: a refusal above spends nothing
    try:
        return _issue(user=user, kind=kind, reference=reference, metadata=metadata)
    except Exception:
        daily_cap_give_back(cap_key)
        raise


def _issue(*, user: User, kind: ActionKind, reference: str, metadata: dict[str, Any] | None) -> IssuedAction:
    now = clock.now()
    # Whole seconds, as the token signs it: the advertised expiresAt is the real one.
    expires_at = datetime.fromtimestamp(
        math.ceil((now + timedelta(seconds=settings.ACTION_TOKEN_TTL)).timestamp()), UTC
    )
    action_id = uuid.uuid4()
    token, key_id = token_sign(
        user_id=user.pk,
        action_id=action_id,
        action_type=kind.code,
        points=kind.points,
        issued_at=now,
        expires_at=expires_at,
    )
    proof_key = new_proof_key()
    token_insert(
        id=action_id,
        user_id=user.pk,
        action_type_id=kind.id,
        reference=reference,
        metadata=metadata or {},
        points=kind.points,
        token_hash=token_hash(token),
        proof_key=proof_key,
        key_id=key_id,
        created_at=now,
        expires_at=expires_at,
    )
    return IssuedAction(token, action_id, expires_at, user.score + kind.points, proof_key)


def action_complete(
    *,
    user: User,
    token: str,
    action_id: UUID,
    proof: Proof | None,
    require_proof: bool = True,
    claimed_user_id: UUID | None = None,
    client_ip: str | None = None,
    received_at: datetime | None = None,
) -> Completion:
    """Complete an action the server started; the score goes to the token's owner.

    ``user`` is the caller: the owner, or a game server (role ``system``) completing a
    player's token. ``require_proof=False`` (the ``/scoreboard/update`` alias) lets a
    missing proof pass when the server-measured time lies within the type's bounds.
    ``received_at`` is when the completion reached the server (``clock.received_at``):
    the server's measure runs from issuing the token to then.
    """
    started = time.perf_counter()
    seen: dict[str, Any] = {}
    try:
        return _complete(
            user=user,
            token=token,
            action_id=action_id,
            proof=proof,
            require_proof=require_proof,
            claimed_user_id=claimed_user_id,
            seen=seen,
            received_at=received_at,
        )
    except ApplicationError as exc:
        owner_id = seen.get("owner_id")
        if owner_id is not None and not seen.get("counted"):
            count_refused_completion(owner_id=owner_id)  # every attempt counts, a refused one too
        audit_refusal(
            actor=user,
            subject_id=seen.get("owner_id"),
            error=exc,
            client_ip=client_ip,
            details={"actionId": str(action_id)},
        )
        raise
    finally:
        metrics.action_completion_time.observe(time.perf_counter() - started)


def _complete(
    *,
    user: User,
    token: str,
    action_id: UUID,
    proof: Proof | None,
    require_proof: bool,
    claimed_user_id: UUID | None,
    seen: dict[str, Any],
    received_at: datetime | None = None,
) -> Completion:
    now = clock.now()
    claims = _verified(
        user=user, token=token, action_id=action_id, claimed_user_id=claimed_user_id, now=now, seen=seen
    )
    kind = action_kind_get(claims.action_type)
    if kind.authoritative and user.role != Role.SYSTEM:
        raise AuthoritativeAction()
    owner = user if claims.user_id == user.pk else _owner(claims.user_id)
    # The claim, then the attempt counted against the owner, in one transaction: a replay,
    # or the loser of a race on one token, waits on the claimed row and is TOKEN_ALREADY_USED
    # whatever the limits say (the contract's "exactly one 200 and the other 409"); it is
    # counted after the winner (``action_complete``), so it cannot spend the winner's allowance.
    # Refused by a limit (429) or by a store that cannot enforce it (503), the claim rolls
    # back: the player did nothing wrong with this token, which stays usable.
    with transaction.atomic():
        claimed = token_claim(action_id=action_id, token_hash=token_hash(token), now=now)
        seen["counted"] = True  # counted now, refused or not
        check_completion_attempt(owner_id=claims.user_id)
    arrived = min(received_at, now) if received_at is not None else now
    elapsed_ms = max(0, int((arrived - claimed.created_at).total_seconds() * 1000))
    proof_check_or_burn(
        claimed=claimed, kind=kind, proof=proof, require_proof=require_proof, elapsed_ms=elapsed_ms
    )
    change = completion_score(
        owner=owner,
        caller=user,
        claims=claims,
        kind=kind,
        claimed=claimed,
        proof=proof,
        elapsed_ms=elapsed_ms,
        now=now,
    )
    return Completion(action_id, owner, kind.code, change, completion_detect(owner, change, kind, arrived))


def _verified(
    *,
    user: User,
    token: str,
    action_id: UUID,
    claimed_user_id: UUID | None,
    now: datetime,
    seen: dict[str, Any],
) -> TokenClaims:
    claims = token_verify(token, now=now)
    seen["owner_id"] = claims.user_id  # the signature holds: the audit may name the owner
    if claims.action_id != action_id:
        raise InvalidActionToken(reason="mismatch")
    is_system = user.role == Role.SYSTEM
    if claims.user_id != user.pk and not is_system:
        raise TokenUserMismatch()
    if not (is_system and claimed_user_id == claims.user_id):  # a game server may name the token's owner
        _own_user_id(user, claimed_user_id)
    return claims


def _owner(user_id: UUID) -> User:
    """The player a game server completes for."""
    owner = User.objects.filter(pk=user_id).first()
    if owner is None:
        raise InvalidActionToken(reason="mismatch")
    if owner.is_banned:
        raise AccountBanned("The account this action belongs to is banned.")
    return owner
