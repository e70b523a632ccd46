"""The steps of a completion once its token is claimed (``services.action_complete``): the
proof and the timing rule, the scoring transaction with the named boards it feeds, and the
detectors, which never block a committed score."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError

from accounts.models import User
from anticheat.exceptions import InvalidProof
from anticheat.models import Flag
from anticheat.proofs import Bounds, check_proof, check_timing
from anticheat.services import anomalies_detect
from leaderboard.boards.services import boards_fed_by, completion_feed
from leaderboard.models import ScoreHistory
from leaderboard.services import ScoreChange, score_history_record

from .catalog import ActionKind
from .claims import ClaimedToken, token_release, token_settle
from .exceptions import ActionAlreadyCompleted
from .models import ActionToken
from .tokens import TokenClaims

logger = logging.getLogger("scoreboard.actions")


@dataclass(frozen=True)
class Proof:
    completion_time: int | None = None
    checksum: str | None = None
    signature: str = ""


def already_scored(*, user_id: Any, kind: ActionKind, reference: str) -> bool:
    return ScoreHistory.objects.filter(
        user_id=user_id,
        kind=ScoreHistory.Kind.ACTION,
        action_type=kind.code,
        reference=reference,
        once_per_reference=True,
    ).exists()


def proof_check_or_burn(
    *, claimed: ClaimedToken, kind: ActionKind, proof: Proof | None, require_proof: bool, elapsed_ms: int
) -> None:
    """The proof (when one is required or given), then the timing rule on every path."""
    bounds = Bounds(kind.min_duration_ms, kind.max_duration_ms)
    try:
        if proof is not None or require_proof:
            proof = proof or Proof()
            check_proof(
                proof_key=claimed.proof_key,
                action_id=claimed.action_id,
                completion_time_ms=proof.completion_time,
                checksum=proof.checksum,
            )
        check_timing(
            bounds=bounds,
            server_elapsed_ms=elapsed_ms,
            completion_time_ms=proof.completion_time if proof else None,
        )
    except InvalidProof:
        token_settle(action_id=claimed.action_id, outcome=ActionToken.Outcome.PROOF_FAILED)
        raise


def completion_score(
    *,
    owner: User,
    caller: User,
    claims: TokenClaims,
    kind: ActionKind,
    claimed: ClaimedToken,
    proof: Proof | None,
    elapsed_ms: int,
    now: datetime,
) -> ScoreChange:
    refused = ActionAlreadyCompleted(details={"actionType": kind.code, "reference": claimed.reference})
    if not kind.repeatable and already_scored(user_id=owner.pk, kind=kind, reference=claimed.reference):
        token_release(action_id=claimed.action_id, claimed_at=now)
        raise refused
    fed_boards = boards_fed_by(kind.code)  # before the transaction: no Redis call under the row lock
    try:
        # The unique constraint on (user, type, reference) settles two different tokens
        # racing for one non-repeatable reference.
        return score_history_record(
            user=owner,
            increment=claims.points,
            action_id=claimed.action_id,
            action_type=kind.code,
            reference=claimed.reference,
            once_per_reference=not kind.repeatable,
            completion_time_ms=proof.completion_time if proof else None,
            server_elapsed_ms=elapsed_ms,
            proof={"completionTime": proof.completion_time, "checksum": proof.checksum} if proof else {},
            signature=proof.signature if proof else "",
            completed_by=caller,
            # the named incr boards fed by this type, in the same transaction as the row
            then=lambda entry: completion_feed(
                user=owner,
                action_type=kind.code,
                points=claims.points,
                at=entry.created_at,
                board_ids=fed_boards,
                reference=claimed.reference,
                source=entry,
            ),
        )
    except IntegrityError as exc:
        token_release(action_id=claimed.action_id, claimed_at=now)
        raise refused from exc


def completion_detect(owner: User, change: ScoreChange, kind: ActionKind, arrived: datetime) -> list[Flag]:
    """Detectors never block a committed score: an error in one is logged, not answered."""
    try:
        return anomalies_detect(
            user=owner, entry=change.entry, min_duration_ms=kind.min_duration_ms, arrived_at=arrived
        )
    except Exception:  # noqa: BLE001 - the score is committed; a detector bug must not turn it into a 500
        logger.exception("Anomaly detection failed for ledger row %s", change.entry.pk)
        return []
