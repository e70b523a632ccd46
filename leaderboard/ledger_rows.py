"""The ledger's row-level steps, shared by every ledger writer: the player's row lock (which
also reads the chain head and reserves the row's id), chaining after an INSERT, and a named
board's row. ``services.score_history_record`` and ``boards/services.record_write`` build on
them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import F
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import User
from scoreboard_project import metrics
from scoreboard_project.inserts import insert_params, insert_sql

from . import ledger
from .models import Leaderboard, ScoreHistory

_TABLE = ScoreHistory._meta.db_table
_TIME_FIELD = User._meta.get_field("score_updated_at")
_PK_FIELD = User._meta.pk


def _pk_param(user: User):
    """The player's id as the UUID field prepares it for this database (hex text on SQLite)."""
    return _PK_FIELD.get_db_prep_value(user.pk, connection)


# The next ledger row's id, reserved (PostgreSQL).
_NEXT_ID = f"nextval(pg_get_serial_sequence('{_TABLE}', 'id'))"
# The player's score and chain head, and the next ledger row id, under the player's row lock.
_LOCK_SQL = {
    "postgresql": f"SELECT score, ledger_head, {_NEXT_ID}, score_updated_at "
    f"FROM {User._meta.db_table} WHERE id = %s FOR UPDATE",
    # SQLite transactions here are IMMEDIATE (settings): one writer at a time, so the
    # AUTOINCREMENT sequence + 1 is the id the next INSERT would take.
    "sqlite": f"SELECT score, ledger_head, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{_TABLE}'), 0) + 1, "
    f"score_updated_at "
    f"FROM {User._meta.db_table} WHERE id = %s",
}


def lock_player(user: User) -> tuple[int, str, int | None, datetime | None]:
    """``(score, ledger head, reserved row id, when the score was reached)``, the player's
    row locked until commit."""
    sql = _LOCK_SQL.get(connection.vendor)
    if sql is None:
        row = (
            User.objects.select_for_update()
            .filter(pk=user.pk)
            .values_list("score", "ledger_head", "score_updated_at")
            .get()
        )
        return row[0], row[1], None, row[2]
    with connection.cursor() as cursor:
        cursor.execute(sql, [_pk_param(user)])
        row = cursor.fetchone()
    if row is None:
        raise User.DoesNotExist(user.pk)
    reached = row[3]
    if isinstance(reached, str):  # SQLite answers text
        reached = parse_datetime(reached)
    if reached is not None and timezone.is_naive(reached):
        reached = timezone.make_aware(reached, UTC)
    return int(row[0]), row[1], int(row[2]), reached


_USER_FIELDS = [field.attname for field in User._meta.concrete_fields]
_USER_COLUMNS = ", ".join(f'u."{field.column}"' for field in User._meta.concrete_fields)


class Alongside(NamedTuple):
    """What a writer reads in the player's lock statement besides the player (PostgreSQL):
    ``columns`` after the player's, and ``joins`` (``LEFT JOIN``s on ``u``, the player's
    row). Build it once (a module constant): its text is part of a prepared statement.
    ``params(...)`` are given in the text's order, columns' first, then joins'."""

    columns: str
    joins: str = ""


def _lock_row_sql(alongside: Alongside | None, skip_locked: bool) -> str:
    columns = f"{_USER_COLUMNS}, {_NEXT_ID}" + (f", {alongside.columns}" if alongside else "")
    joins = f" {alongside.joins}" if alongside and alongside.joins else ""
    return (
        f"SELECT {columns} FROM {User._meta.db_table} u{joins} "  # nosec B608 - constants only
        f"WHERE u.id = %s FOR UPDATE OF u{' SKIP LOCKED' if skip_locked else ''}"
    )


_LOCK_ROW_SQL: dict[tuple[Alongside | None, bool], str] = {}


class LockedPlayer(NamedTuple):
    user: User
    chain: tuple[str, int | None]  # ``ledger_chain_lock``'s answer
    alongside: tuple | None  # with ``alongside`` on PostgreSQL: its columns' values


def lock_player_row(
    user_id: uuid.UUID, *, alongside: Alongside | None = None, params: tuple = (), skip_locked: bool = False
) -> LockedPlayer | None:
    """The account ``user_id`` and its ledger chain, its row locked until commit; None when no
    account has that id. For a writer that looks the player up by id (a game server's record
    write): the lookup and the lock are one statement, which on PostgreSQL also reads the
    writer's ``alongside`` columns (``params``: theirs). Call inside a transaction.

    ``skip_locked`` (PostgreSQL): None, without waiting, while another transaction holds the
    row. A statement that waited for the lock answers the player's row as the other left it,
    but every other row as its start saw them: what ``alongside`` read may be stale then."""
    if connection.vendor != "postgresql":
        user = User.objects.select_for_update().filter(pk=user_id).first()
        return None if user is None else LockedPlayer(user, ledger_chain_lock(user), None)
    sql = _LOCK_ROW_SQL.get((alongside, skip_locked))
    if sql is None:
        sql = _LOCK_ROW_SQL[(alongside, skip_locked)] = _lock_row_sql(alongside, skip_locked)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    columns = len(_USER_FIELDS)
    user = User.from_db(connection.alias, _USER_FIELDS, row[:columns])
    chain = (user.ledger_head, int(row[columns]))
    return LockedPlayer(user, chain, row[columns + 1 :] if alongside else None)


def _move_sql(*, chained: bool, counts_actions: bool) -> str:
    sets = ["score = score + %s", "total_actions = total_actions + %s", "score_updated_at = %s"]
    if chained:
        sets.append("ledger_head = %s")
    if counts_actions:
        sets.append("last_action_at = %s")
    return f"UPDATE {User._meta.db_table} SET {', '.join(sets)} WHERE id = %s"


_MOVE_SQL = {
    (chained, counts): _move_sql(chained=chained, counts_actions=counts)
    for chained in (False, True)
    for counts in (False, True)
}


def _move_statement(
    *, user: User, increment: int, now: datetime, counts_actions: bool, digest: str | None
) -> tuple[str, list]:
    when = _TIME_FIELD.get_db_prep_value(now, connection)
    params: list = [increment, 1 if counts_actions else 0, when]
    if digest is not None:
        params.append(digest)
    if counts_actions:
        params.append(when)
    params.append(_pk_param(user))
    return _MOVE_SQL[(digest is not None, counts_actions)], params


def move_score(
    *,
    user: User,
    increment: int,
    now: datetime,
    counts_actions: bool,
    digest: str | None,
    entry: ScoreHistory | None = None,
) -> None:
    """The player's score, action count, times and chain head, in one UPDATE (under ``lock_player``);
    with ``entry`` (its id reserved by ``lock_player``), the ledger row's INSERT in the same
    statement (``entry_insert``).

    The statement the ORM's ``update(score=F("score") + ...)`` builds, written once: compiling
    it on every completion was a measurable part of a completion's CPU (docs/benchmarks.md).
    """
    if connection.vendor not in _LOCK_SQL:
        User.objects.filter(pk=user.pk).update(
            score=F("score") + increment,
            total_actions=F("total_actions") + (1 if counts_actions else 0),
            score_updated_at=now,
            **({"ledger_head": digest} if digest is not None else {}),
            **({"last_action_at": now} if counts_actions else {}),
        )
        if entry is not None:
            entry.save(force_insert=True)
        return
    sql, params = _move_statement(
        user=user, increment=increment, now=now, counts_actions=counts_actions, digest=digest
    )
    if entry is not None:
        entry_insert(entry, then=(sql, params))
        return
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@dataclass
class JoinedWrite:
    """Another row's write (a data-modifying statement ending in ``RETURNING id``) sent in the
    ledger row's statement on PostgreSQL (``entry_insert``): a named board's record beside its
    ledger row, one round trip instead of two. ``returned``: the id it returned, None when it
    changed no row (its guard failed: the caller must roll the transaction back)."""

    sql: str
    params: list
    returned: Any = None


def entry_insert(
    entry: ScoreHistory, *, then: tuple[str, list] | None = None, joined: JoinedWrite | None = None
) -> None:
    """``entry.save(force_insert=True)`` for a row whose id ``lock_player`` reserved: one INSERT
    written once, and on PostgreSQL the player's ``UPDATE`` (``then``: the score move or the
    new chain head) in the same statement, a data-modifying ``WITH``, which PostgreSQL runs to
    completion whether or not the outer statement reads it, and ``joined`` with them
    (PostgreSQL only, with ``then``). Elsewhere the two run one after the other. The model's ``pre_save``/``post_save``
    signals are sent as ``save()`` sends them: the ledger's on-commit work hangs on
    ``post_save`` (``receivers.py``).

    Compiling the 22-column INSERT through the ORM, and its own round trip, were a measurable
    part of a completion's and a record write's CPU (docs/benchmarks.md).
    """
    if joined is not None and (then is None or connection.vendor != "postgresql"):
        raise ValueError("A joined write goes in the PostgreSQL statement with the player's UPDATE.")
    using = connection.alias
    pre_save.send(sender=ScoreHistory, instance=entry, raw=False, using=using, update_fields=None)
    sql, params = insert_sql(ScoreHistory), insert_params(entry)
    with connection.cursor() as cursor:
        if then is None:
            cursor.execute(sql, params)
        elif connection.vendor != "postgresql":
            cursor.execute(sql, params)
            cursor.execute(*then)
        elif joined is None:
            cursor.execute(f"WITH entry AS ({sql} RETURNING 1) {then[0]}", params + then[1])
        else:
            cursor.execute(
                f"WITH joined AS ({joined.sql}), entry AS ({sql} RETURNING 1) "  # nosec B608 - module constants
                f"{then[0]} RETURNING (SELECT id FROM joined)",
                joined.params + params + then[1],
            )
            found = cursor.fetchone()
            joined.returned = found and found[0]
    entry._state.adding, entry._state.db = False, using
    post_save.send(
        sender=ScoreHistory, instance=entry, created=True, update_fields=None, raw=False, using=using
    )


_HEAD_SQL = f"UPDATE {User._meta.db_table} SET ledger_head = %s WHERE id = %s"  # nosec B608


def _head_statement(user: User, digest: str) -> tuple[str, list]:
    return _HEAD_SQL, [digest, _pk_param(user)]


def chain_after_insert(entry: ScoreHistory, head: str) -> None:
    """A database that cannot reserve ids: hash the row after its INSERT."""
    entry.hash = ledger.link(
        head, (entry.pk, entry.user_id, entry.increment, entry.kind, entry.action_id, entry.created_at)
    )
    ScoreHistory.objects.filter(pk=entry.pk).update(hash=entry.hash)
    User.objects.filter(pk=entry.user_id).update(ledger_head=entry.hash)


def ledger_chain_lock(user: User) -> tuple[str, int | None]:
    """Lock the player's row until commit; the chain head and the next ledger row's id.

    Every ledger writer takes this lock before any other row lock (a board's record), so a
    completion feeding a board and a game server writing to it lock in the same order and
    cannot deadlock. One statement, as for a completion."""
    _, head, entry_id, _ = lock_player(user)
    return head, entry_id


def board_row(
    *,
    user: User,
    increment: int,
    board: Leaderboard,
    period_start: datetime | None,
    previous: int,
    at: datetime,
    action_type: str = "",
    reference: str = "",
    completed_by: User | None = None,
    note: str = "",
    fed_by: ScoreHistory | None = None,
    chain: tuple[str, int | None] | None = None,
    joined: JoinedWrite | None = None,
) -> ScoreHistory:
    """A named board's ledger row (``kind=board``), written inside the record writer's
    transaction (``boards/services.record_write``, which holds the record's row lock and
    passes the record's score before the write). It leaves ``User.score`` alone. ``joined``:
    the record's own write, sent in the ledger row's statement (PostgreSQL)."""
    with transaction.atomic(savepoint=False):  # the record writer's transaction holds the lock
        # A board row is a link of the player's one hash chain too: the chain head is read
        # and the id reserved under the player's row lock (record_write took it first).
        head, entry_id = chain or ledger_chain_lock(user)
        kind = ScoreHistory.Kind.BOARD
        digest = ledger.link(head, (entry_id, user.pk, increment, kind, None, at)) if entry_id else head
        entry = ScoreHistory(
            id=entry_id,
            user=user,
            kind=kind,
            board=board,
            board_period_start=period_start,
            action_type=action_type,
            reference=reference,
            increment=increment,
            previous_score=previous,
            new_score=previous + increment,
            completed_by=completed_by,
            note=note,
            created_at=at,
            fed_by=fed_by,
            hash=digest if entry_id else "",
        )
        # Its post_save receiver updates the board's set on commit.
        if entry_id:
            entry_insert(entry, then=_head_statement(user, digest), joined=joined)
        else:
            entry.save(force_insert=True)
            chain_after_insert(entry, head)
    metrics.score_updates.labels(kind=ScoreHistory.Kind.BOARD).inc()
    return entry
