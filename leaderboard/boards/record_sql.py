"""A record write in one statement: lock the record, apply the board's operator, return it.

A changed score's ``reached_at`` is later than the one it replaces, and every write's
``updated_at`` later than the one before, even when the clock stepped back: the Redis set
keeps the newest standing by the first and the newest metadata by the second, whatever
order the writes' commit hooks reach it in (``redis_records._SET_RECORD``).

``services.record_write`` holds the player's ledger chain lock first (``ledger_chain_lock``),
then calls ``record_apply``: the ``SELECT ... FOR UPDATE`` of the record and its ``UPDATE``
are one statement (the locked row's score read, the operator applied in SQL, the score
before and the row after returned), instead of an ORM read and an ORM save. A player's
first record on a period is one ``INSERT ... ON CONFLICT DO NOTHING`` (no savepoint).
The embedded SQLite database (which has no row locks: its writes are serialized) keeps
the ORM's read and save (``_record_apply_orm``).

A game server's record write (``services._write_under_lock``) goes one step further on
PostgreSQL: the player's lock statement also reads the record (``LOCK_ALONGSIDE``), the
operator is applied here in Python (``planned_write``), and the record's UPDATE or INSERT
travels in the ledger row's statement (``ledger_rows.JoinedWrite``): one round trip fewer.
That UPDATE is guarded by the ``updated_at`` it read, which every write moves: a write that
did not hold the player's lock in between makes it change nothing (``RecordMoved``), and the
caller writes again the way above.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NamedTuple, cast

import orjson
from django.db import IntegrityError, connection, transaction

from accounts.models import User

from ..ledger_rows import Alongside, JoinedWrite
from .models import Leaderboard, LeaderboardRecord
from .schedule import PeriodWindow

_TABLE = LeaderboardRecord._meta.db_table
_FIELDS = [field.attname for field in LeaderboardRecord._meta.concrete_fields]
_RETURNING = "r.id, r.board_id, r.period_start, r.user_id, r.score, r.rank_score, r.reached_at, r.metadata::text, r.updated_at"
# The operator on the locked score (``old.score``) and the submitted one (%(score)s).
_RULES: dict[tuple[str, bool], str] = {
    (Leaderboard.Operator.SET, False): "%(score)s",
    (Leaderboard.Operator.SET, True): "%(score)s",
    (Leaderboard.Operator.INCR, False): "old.score + %(score)s",
    (Leaderboard.Operator.INCR, True): "old.score + %(score)s",
    (Leaderboard.Operator.BEST, False): "GREATEST(old.score, %(score)s)",
    (Leaderboard.Operator.BEST, True): "LEAST(old.score, %(score)s)",
}
_statements: dict[tuple[str, bool, str], str] = {}


def _update_sql(operator: str, ascending: bool, metadata: str) -> str:
    """``metadata``: ``keep`` (none given), ``set`` (always replaced) or ``if_changed`` (best)."""
    key = (operator, ascending, metadata)
    sql = _statements.get(key)
    if sql is None:
        meta = {
            "keep": "r.metadata",
            "set": "%(metadata)s::jsonb",
            "if_changed": "CASE WHEN a.score <> a.previous THEN %(metadata)s::jsonb ELSE r.metadata END",
        }[metadata]
        sql = _statements[key] = f"""
            WITH old AS (
                SELECT id, score FROM {_TABLE}
                WHERE board_id = %(board)s AND period_start = %(period)s AND user_id = %(user)s FOR UPDATE
            ), a AS (SELECT id, score AS previous, {_RULES[(operator, ascending)]} AS score FROM old)
            UPDATE {_TABLE} r SET score = a.score, rank_score = {"-" if ascending else ""}a.score,
                reached_at = CASE WHEN a.score <> a.previous
                    THEN GREATEST(%(at)s, r.reached_at + interval '1 microsecond') ELSE r.reached_at END,
                metadata = {meta}, updated_at = GREATEST(%(at)s, r.updated_at + interval '1 microsecond')
            FROM a WHERE r.id = a.id
            RETURNING a.previous, {_RETURNING}"""
    return sql


_INSERT = f"""
    INSERT INTO {_TABLE} AS r (board_id, period_start, user_id, score, rank_score, reached_at, metadata, updated_at)
    VALUES (%(board)s, %(period)s, %(user)s, %(score)s, %(rank_score)s, %(at)s, %(metadata)s::jsonb, %(at)s)
    ON CONFLICT (board_id, period_start, user_id) DO NOTHING
    RETURNING NULL, {_RETURNING}"""


def record_apply(
    *,
    board: Leaderboard,
    period: PeriodWindow,
    user: User,
    score: int,
    metadata: dict[str, Any] | None,
    at: datetime,
) -> tuple[LeaderboardRecord, int | None]:
    """The record after the write and its score before (None for a first record). Call
    inside the write's transaction, under the player's ledger chain lock."""
    if connection.vendor != "postgresql":
        return _record_apply_orm(board=board, period=period, user=user, score=score, metadata=metadata, at=at)
    params: dict[str, Any] = {
        "board": board.pk,
        "period": period.start,
        "user": user.pk,
        "score": score,
        "at": at,
        "metadata": None if metadata is None else orjson.dumps(metadata).decode(),
    }
    if metadata is None:
        mode = "keep"
    else:
        mode = "if_changed" if board.operator == Leaderboard.Operator.BEST else "set"
    with connection.cursor() as cursor:
        cursor.execute(_update_sql(board.operator, board.ascending, mode), params)
        row = cursor.fetchone()
        if row is None:  # no record yet in this period: the first one holds the score as given
            cursor.execute(
                _INSERT,
                {**params, "rank_score": board.rank_score(score), "metadata": params["metadata"] or "{}"},
            )
            row = cursor.fetchone()
            if row is None:  # inserted meanwhile by a writer that does not hold the chain lock
                cursor.execute(_update_sql(board.operator, board.ascending, mode), params)
                row = cursor.fetchone()
    previous, *values = row
    values[7] = orjson.loads(values[7])
    record = LeaderboardRecord.from_db(connection.alias, _FIELDS, values)
    record.board, record.user = board, user  # no query to reach them
    return record, previous


def _record_apply_orm(
    *,
    board: Leaderboard,
    period: PeriodWindow,
    user: User,
    score: int,
    metadata: dict[str, Any] | None,
    at: datetime,
) -> tuple[LeaderboardRecord, int | None]:
    lookup = LeaderboardRecord.objects.select_for_update().filter(
        board=board, period_start=period.start, user=user
    )
    record = lookup.first()
    first = record is None and _insert_first(board, period, user)
    if record is None:
        record = lookup.get()
    previous = None if first else record.score
    new = _apply(board.operator, board.ascending, previous, score)
    changed = previous is None or new != previous
    if changed:
        reached = at if first else max(at, record.reached_at + timedelta(microseconds=1))
        record.score, record.rank_score, record.reached_at = new, board.rank_score(new), reached
    if metadata is not None and (changed or board.operator != Leaderboard.Operator.BEST):
        record.metadata = metadata
    record.updated_at = at if first else max(at, record.updated_at + timedelta(microseconds=1))
    record.save(update_fields=["score", "rank_score", "reached_at", "metadata", "updated_at"])
    return record, previous


def _apply(operator: str, ascending: bool, previous: int | None, score: int) -> int:
    if previous is None or operator == Leaderboard.Operator.SET:
        return score
    if operator == Leaderboard.Operator.INCR:
        return previous + score
    return min(previous, score) if ascending else max(previous, score)


def _insert_first(board: Leaderboard, period: PeriodWindow, user: User) -> bool:
    """Insert the player's empty record; False when a concurrent write inserted it first."""
    try:
        with transaction.atomic():
            LeaderboardRecord.objects.create(
                board=board,
                period_start=period.start,
                user=user,
                score=0,
                rank_score=0,
                reached_at=period.start,
            )
    except IntegrityError:
        return False
    return True


# --- the planned write (PostgreSQL) ----------------------------------------------------------
_BOARD_TABLE = Leaderboard._meta.db_table
# Read by the player's lock statement after the player: the board row's version (its xmin,
# ``definitions.confirmed``), then the player's record of the period, if any.
LOCK_ALONGSIDE = Alongside(
    columns=f"(SELECT xmin::text FROM {_BOARD_TABLE} WHERE id = %s), "  # nosec B608 - constants only
    "r.id, r.score, r.reached_at, r.updated_at, r.metadata::text",
    joins=f"LEFT JOIN {_TABLE} r ON r.board_id = %s AND r.period_start = %s AND r.user_id = u.id",
)


def lock_alongside_params(board: Leaderboard, period_start: datetime) -> tuple:
    return (board.pk, board.pk, period_start)


class SeenRecord(NamedTuple):
    """The player's record of the period as the lock statement read it (``id`` None: none)."""

    id: int | None
    score: int | None
    reached_at: datetime | None
    updated_at: datetime | None
    metadata: str | None  # the JSON text


def alongside_read(values: tuple | None) -> tuple[str | None, SeenRecord | None]:
    """The board row's version and the player's record, from ``LOCK_ALONGSIDE``'s columns in
    the lock's answer (``LockedPlayer.alongside``); (None, None) where they were not read."""
    if values is None:
        return None, None
    row_version, *record = values
    return row_version, SeenRecord(*record)


class RecordMoved(Exception):
    """The record changed after the player's lock statement read it: the planned write
    changed nothing. Roll the transaction back and write with ``record_apply``."""


_PLANNED_UPDATE = (
    f"UPDATE {_TABLE} SET score = %s, rank_score = %s, reached_at = %s, updated_at = %s, "  # nosec B608
    "metadata = COALESCE(%s::jsonb, metadata) WHERE id = %s AND updated_at = %s RETURNING id"
)
_PLANNED_INSERT = (
    f"INSERT INTO {_TABLE} (board_id, period_start, user_id, score, rank_score, reached_at, "  # nosec B608
    "metadata, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb, %s) "
    "ON CONFLICT (board_id, period_start, user_id) DO NOTHING RETURNING id"
)
_MICROSECOND = timedelta(microseconds=1)


def planned_write(
    *,
    board: Leaderboard,
    period: PeriodWindow,
    user: User,
    score: int,
    metadata: dict[str, Any] | None,
    at: datetime,
    seen: SeenRecord,
) -> tuple[LeaderboardRecord, int | None, JoinedWrite]:
    """The record after the write, its score before (None for a first record), and the
    statement that writes it (``record_apply``'s rules, applied to ``seen``). The caller sends
    that statement with the ledger row and raises ``RecordMoved`` when it returns no id."""
    previous = seen.score
    new = _apply(board.operator, board.ascending, previous, score)
    rank_score = board.rank_score(new)
    if seen.id is None:
        given = {} if metadata is None else metadata
        values = [None, board.pk, period.start, user.pk, new, rank_score, at, given, at]
        statement = JoinedWrite(
            _PLANNED_INSERT,
            [board.pk, period.start, user.pk, new, rank_score, at, orjson.dumps(given).decode(), at],
        )
    else:
        reached_before, updated_before = cast(datetime, seen.reached_at), cast(datetime, seen.updated_at)
        changed = new != previous
        reached = max(at, reached_before + _MICROSECOND) if changed else reached_before
        updated = max(at, updated_before + _MICROSECOND)
        replaced = metadata is not None and (changed or board.operator != Leaderboard.Operator.BEST)
        text = orjson.dumps(metadata).decode() if replaced else None
        kept = metadata if replaced else orjson.loads(cast(str, seen.metadata))
        values = [seen.id, board.pk, period.start, user.pk, new, rank_score, reached, kept, updated]
        statement = JoinedWrite(
            _PLANNED_UPDATE, [new, rank_score, reached, updated, text, seen.id, seen.updated_at]
        )
    record = LeaderboardRecord.from_db(connection.alias, _FIELDS, values)
    record.board, record.user = board, user  # no query to reach them
    return record, previous, statement
