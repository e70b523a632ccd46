"""The tamper-evident ledger: each player's score history is a hash chain.

``hash(row) = SHA-256(canonical_bytes(previous hash of the same player, row))`` with 64
zeros before a player's first row. The canonical bytes (version 1) are the UTF-8 encoding
of these lines joined by ``\\n`` (no trailing newline); no field can hold a newline:

    sb-ledger-v1
    <previous hash: 64 lowercase hex digits>
    <row id: decimal>
    <user id: lowercase UUID with dashes>
    <increment: decimal, "-" for negative>
    <kind: "action" or "void">
    <action id: lowercase UUID with dashes, or empty>
    <created time: integer microseconds since 1970-01-01T00:00:00Z>

A chain runs in row-id order (ids are handed out under the player's row lock, so that is
also the order of the writes). ``User.ledger_head`` holds the hash of the player's last row,
so a write needs no extra read, and the removal of a chain's last row is visible too.
Daily roots: ``ledger_roots.py``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

logger = logging.getLogger("scoreboard.ledger")
GENESIS = "0" * 64
VERSION = "sb-ledger-v1"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# The fields a link covers, in the order ``rows`` yields them.
FIELDS = ("id", "user_id", "increment", "kind", "action_id", "created_at")
Fields = tuple[int, "UUID | str", int, str, "UUID | str | None", datetime]


def micros(moment: datetime) -> int:
    """Microseconds since the epoch, exact (no float on the way)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _uuid_text(value: UUID | str | None) -> str:
    if value is None or value == "":
        return ""
    return str(value if isinstance(value, UUID) else UUID(str(value)))


def canonical_bytes(previous: str, row: Fields) -> bytes:
    row_id, user_id, increment, kind, action_id, created_at = row
    return "\n".join(
        (
            VERSION,
            previous,
            str(int(row_id)),
            _uuid_text(user_id),
            str(int(increment)),
            str(kind),
            _uuid_text(action_id),
            str(micros(created_at)),
        )
    ).encode()


def link(previous: str, row: Fields) -> str:
    """The hash of ``row`` given the hash of the player's row before it."""
    return hashlib.sha256(canonical_bytes(previous, row)).hexdigest()


def chain(rows: Iterable[Fields], previous: str = GENESIS) -> Iterator[tuple[int, str]]:
    """``(row id, hash)`` for one player's rows in id order, starting after ``previous``."""
    for row in rows:
        previous = link(previous, row)
        yield row[0], previous


def backfill(
    history_model,
    user_model,
    *,
    using: str = "default",
    user_ids: list | None = None,
    batch_players: int = 2000,
) -> int:
    """Hash the chains of ``user_ids`` (every player when None) from their first row and set
    each ``ledger_head``: for the data migration (historical models) and bulk imports.
    Answers the rows hashed. On PostgreSQL a whole-ledger backfill streams the rows once and
    rewrites the table in one pass (``_backfill_postgres``); otherwise a batch of players at a time."""
    from django.db import connections

    connection = connections[using]
    if user_ids is None and connection.vendor == "postgresql":
        return _backfill_postgres(connection, history_model._meta.db_table, user_model._meta.db_table)
    rows_of = history_model._base_manager.using(using).order_by()
    if user_ids is None:
        user_ids = list(rows_of.values_list("user_id", flat=True).distinct())
    done = 0
    for start in range(0, len(user_ids), batch_players):
        batch = user_ids[start : start + batch_players]
        rows = rows_of.filter(user_id__in=batch).order_by("user_id", "id").values_list(*FIELDS)
        hashes: list[tuple[int, str]] = []
        heads: dict = {}
        for row in rows.iterator(chunk_size=20_000):
            digest = link(heads.get(row[1], GENESIS), row)
            heads[row[1]] = digest
            hashes.append((row[0], digest))
        _write(connection, history_model._meta.db_table, "hash", "bigint", hashes)
        _write(connection, user_model._meta.db_table, "ledger_head", "uuid", list(heads.items()))
        done += len(hashes)
    return done


# PostgreSQL renders every field but the previous hash exactly as canonical_bytes does.
_PG_ROWS = """SELECT user_id::text, id, id::text || E'\\n' || user_id::text || E'\\n' || increment::text
    || E'\\n' || kind || E'\\n' || coalesce(action_id::text, '') || E'\\n'
    || (extract(epoch FROM created_at) * 1000000)::bigint::text
    FROM {table} ORDER BY user_id, id"""


def _backfill_postgres(connection, table: str, user_table: str, chunk: int = 50_000) -> int:
    """One sorted pass over the ledger (a server-side cursor), the hashes COPied into a
    temporary table, then ``ALTER COLUMN hash ... USING`` rewrites the table once and
    rebuilds its indexes in bulk: an UPDATE of every row costs several times more (each
    updated row writes an entry into every index). Takes the table's exclusive lock,
    like the rest of the migration."""
    prefix, sha256 = f"{VERSION}\n", hashlib.sha256
    started = time.perf_counter()
    heads: dict[str, str] = {}
    done = 0
    connection.ensure_connection()
    raw = connection.connection  # inside the migration's transaction
    with raw.cursor() as cursor, raw.cursor(name="ledger_backfill_rows") as rows:
        cursor.execute("CREATE TEMPORARY TABLE ledger_backfill (id bigint, hash varchar(64))")
        rows.execute(_PG_ROWS.format(table=table))
        user, previous = None, GENESIS
        while batch := rows.fetchmany(chunk):
            out = []
            for user_id, row_id, fields in batch:
                if user_id != user:
                    if user is not None:
                        heads[user] = previous
                    user, previous = user_id, GENESIS
                previous = sha256(f"{prefix}{previous}\n{fields}".encode()).hexdigest()
                out.append((row_id, previous))
            with cursor.copy("COPY ledger_backfill (id, hash) FROM STDIN") as copy:
                for item in out:
                    copy.write_row(item)
            done += len(out)
        if user is not None:
            heads[user] = previous
        rows.close()
        logger.info(
            "ledger backfill: %d rows read, hashed and copied in %.1f s", done, time.perf_counter() - started
        )
        cursor.execute("ALTER TABLE ledger_backfill ADD PRIMARY KEY (id)")
        cursor.execute("ANALYZE ledger_backfill")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")  # the index rebuilds of the rewrite
        cursor.execute(
            "CREATE FUNCTION pg_temp.ledger_hash_of(bigint) RETURNS varchar LANGUAGE sql STABLE "
            "AS 'SELECT hash FROM pg_temp.ledger_backfill WHERE id = $1'"
        )
        cursor.execute(
            f"ALTER TABLE {table} ALTER COLUMN hash TYPE varchar(64) "
            f"USING coalesce(pg_temp.ledger_hash_of(id), '')"
        )
        logger.info("ledger backfill: table rewritten at %.1f s", time.perf_counter() - started)
        cursor.execute("DROP FUNCTION pg_temp.ledger_hash_of(bigint)")
        cursor.execute("DROP TABLE ledger_backfill")
    _write(connection, user_table, "ledger_head", "uuid", list(heads.items()))
    logger.info("ledger backfill: %d heads written at %.1f s", len(heads), time.perf_counter() - started)
    return done


def _write(connection, table: str, column: str, key_type: str, pairs: list[tuple]) -> None:
    if not pairs:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} AS t SET {column} = v.value "
                f"FROM unnest(%s::{key_type}[], %s::varchar[]) AS v(key, value) WHERE t.id = v.key",
                [[key for key, _ in pairs], [value for _, value in pairs]],
            )
        else:
            keys = [key.hex if isinstance(key, UUID) else key for key, _ in pairs]
            cursor.executemany(
                f"UPDATE {table} SET {column} = %s WHERE id = %s",
                [(value, key) for key, (_, value) in zip(keys, pairs, strict=True)],
            )


# --- checking the chains ------------------------------------------------------------------


@dataclass(frozen=True)
class Broken:
    """The first row of a player's chain that does not verify (``row_id`` None: the head)."""

    user_id: str
    username: str
    row_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"row #{self.row_id}" if self.row_id is not None else "chain head"
        return f"player {self.user_id} ({self.username}): {where}: {self.reason}"


@dataclass
class Report:
    rows: int = 0
    players: int = 0
    broken: list[Broken] = field(default_factory=list)


def check_player(user_id, username: str, head: str, rows: Iterable[tuple]) -> Broken | None:
    """``rows``: the player's ``FIELDS + (hash, previous_score, new_score)`` in id order."""
    previous, last = GENESIS, None
    for row in rows:
        fields, stored = row[:6], row[6]
        if link(previous, fields) != stored:
            reason = "its hash does not follow from the rows before it (edited, reordered or a row removed)"
            if last is not None and last[8] != row[7]:
                reason = (
                    f"its previous score {row[7]} is not row #{last[0]}'s new score {last[8]}: "
                    f"a row between them was removed or edited"
                )
            elif last is None and row[7] != 0:
                reason = f"its previous score is {row[7]}, not 0: an earlier row was removed"
            return Broken(str(user_id), username, row[0], reason)
        previous, last = stored, row
    if previous != head:
        after = f"after row #{last[0]}" if last else "of the player"
        return Broken(
            str(user_id),
            username,
            None,
            f"the player's recorded head does not match the last row: a row {after} was removed",
        )
    return None


def _rows_by_player(user_ids: list) -> dict:
    from .models import ScoreHistory

    grouped: dict = {}
    rows = (
        ScoreHistory.objects.filter(user_id__in=user_ids)
        .order_by("user_id", "id")
        .values_list(*FIELDS, "hash", "previous_score", "new_score")
    )
    for row in rows.iterator(chunk_size=20_000):
        grouped.setdefault(row[1], []).append(row)
    return grouped


def verify_player(user) -> Broken | None:
    return check_player(user.pk, user.username, user.ledger_head, _rows_by_player([user.pk]).get(user.pk, []))


def verify_all(*, progress=None, batch_players: int = 2000) -> Report:
    """Walk every chain, a batch of players at a time; ``progress(rows so far)`` after each batch."""
    from accounts.models import User

    report, after = Report(), None
    while True:
        players = User.objects.order_by("id")
        if after is not None:
            players = players.filter(id__gt=after)
        batch = list(players.values_list("id", "username", "ledger_head")[:batch_players])
        if not batch:
            return report
        after = batch[-1][0]
        grouped = _rows_by_player([user_id for user_id, _, _ in batch])
        for user_id, username, head in batch:
            rows = grouped.get(user_id, [])
            if not rows and head == GENESIS:
                continue
            report.players += 1
            report.rows += len(rows)
            broken = check_player(user_id, username, head, rows)
            if broken:
                report.broken.append(broken)
        if progress:
            progress(report.rows)
