"""Claiming an action token: one conditional UPDATE decides who completes it.

``UPDATE ... SET used_at = now WHERE id = %s AND token_hash = %s AND used_at IS NULL
RETURNING ...``: of any number of simultaneous completions of one token, on any number
of processes, exactly one gets its row back (PostgreSQL re-checks the WHERE clause after
waiting for a concurrent writer's row lock; SQLite serializes writers). RETURNING gives
the row in the same statement, so the winner never reads before it writes. Both stores
support it (PostgreSQL; SQLite 3.35+).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from scoreboard_project.inserts import insert_params, insert_sql

from .exceptions import InvalidActionToken, TokenAlreadyUsed
from .models import ActionToken


@dataclass(frozen=True)
class ClaimedToken:
    action_id: UUID
    reference: str
    proof_key: str
    created_at: datetime


def _aware(value: datetime | str) -> datetime:
    parsed = parse_datetime(value) if isinstance(value, str) else value
    if parsed is None:
        raise ValueError(f"not a datetime: {value!r}")
    return timezone.make_aware(parsed, UTC) if timezone.is_naive(parsed) else parsed


def token_insert(**values: object) -> None:
    """The new token's row (``values`` by attname, e.g. ``user_id``): ``ActionToken.objects.create``
    as one INSERT written once (``scoreboard_project.inserts``). No signal listens to this model."""
    token = ActionToken(**values)
    with connection.cursor() as cursor:
        cursor.execute(insert_sql(ActionToken), insert_params(token))


def token_claim(*, action_id: UUID, token_hash: str, now: datetime) -> ClaimedToken:
    """Mark the token used, or raise TOKEN_ALREADY_USED / INVALID_ACTION_TOKEN (mismatch)."""
    qn = connection.ops.quote_name
    pk = ActionToken._meta.pk.get_db_prep_value(action_id, connection)
    sql = (
        f"UPDATE {qn(ActionToken._meta.db_table)} SET {qn('used_at')} = %s, {qn('outcome')} = %s "  # nosec B608
        f"WHERE {qn('id')} = %s AND {qn('token_hash')} = %s AND {qn('used_at')} IS NULL "
        f"RETURNING {qn('reference')}, {qn('proof_key')}, {qn('created_at')}"
    )
    params = [connection.ops.adapt_datetimefield_value(now), ActionToken.Outcome.COMPLETED, pk, token_hash]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        raise _why_not_claimed(action_id=action_id, token_hash=token_hash)
    reference, proof_key, created_at = row
    return ClaimedToken(action_id, reference, proof_key, _aware(created_at))


def _why_not_claimed(*, action_id: UUID, token_hash: str) -> Exception:
    stored = ActionToken.objects.filter(pk=action_id).values_list("token_hash", flat=True).first()
    if stored == token_hash:
        return TokenAlreadyUsed()
    return InvalidActionToken(reason="mismatch")


def token_settle(*, action_id: UUID, outcome: str) -> None:
    """Record why a claimed token did not score (PROOF_FAILED stays burned)."""
    ActionToken.objects.filter(pk=action_id).update(outcome=outcome)


def token_release(*, action_id: UUID, claimed_at: datetime) -> None:
    """Give back a token whose completion was refused for a reason other than its proof.

    Only the claim made at ``claimed_at`` is undone, never someone else's.
    """
    ActionToken.objects.filter(pk=action_id, used_at=claimed_at).update(
        used_at=None, outcome=ActionToken.Outcome.PENDING
    )
