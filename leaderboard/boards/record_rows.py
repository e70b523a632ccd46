"""The names and metadata of a page's players from SQL: one query by primary keys.

The fallback of ``redis_records.players_of`` (which reads both from Redis): used when the
board's set is not ready, when Redis fails, and on the embedded defaults.

On PostgreSQL it is one plain statement whose rows are read as text (ids, the metadata
JSON parsed with orjson): the ORM's per-row conversions (a UUID object, a JSON decoder
and a dict per row) cost 2.6 ms of CPU for a page of 50 and 27 ms for a page of 1,000,
the plain statement 0.5 and 3.5 ms (``make bench-boards``, docs/benchmarks-boards.md).
Other databases (the embedded SQLite) go through the ORM.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, cast

import orjson
from django.db import connection
from django.db.models import Field

from accounts.models import User

from .models import LeaderboardRecord
from .names import NAME_FIELDS

Found = dict[str, dict[str, Any]]  # user id -> NAME_FIELDS and "metadata"


def _sql(board: bool) -> str:
    user = User._meta
    names = ", ".join(
        f"u.{connection.ops.quote_name(cast(Field, user.get_field(f)).column)}" for f in NAME_FIELDS
    )
    if not board:
        return (
            f"SELECT u.id::text, '{{}}', {names} FROM {user.db_table} u "
            "WHERE u.id = ANY(string_to_array(%s, ',')::uuid[])"
        )
    record = LeaderboardRecord._meta
    return (
        f"SELECT r.user_id::text, r.metadata::text, {names} FROM {record.db_table} r "
        f"JOIN {user.db_table} u ON u.id = r.user_id "
        "WHERE r.board_id = %s AND r.period_start = %s AND r.user_id = ANY(string_to_array(%s, ',')::uuid[])"
    )


def _plain(board_id: int | None, period_start: datetime | None, ids: list[str]) -> Found:
    # The ids as one comma-joined text: psycopg dumps a list of 1,000 strings into an array
    # one element at a time in Python (about 9 % of a page of 1,000), a string at once.
    joined = ",".join(ids)
    params: list[Any] = [joined] if board_id is None else [board_id, period_start, joined]
    with connection.cursor() as cursor:
        cursor.execute(_sql(board_id is not None), params)
        return {
            row[0]: {"metadata": metadata_loads(row[1]), **dict(zip(NAME_FIELDS, row[2:], strict=True))}
            for row in cursor.fetchall()
        }


def metadata_loads(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # integers beyond 64 bits, which orjson does not read
        return json.loads(text)


def _orm(board_id: int | None, period_start: datetime | None, ids: list[str]) -> Found:
    if board_id is None:
        return {
            str(r["id"]): {**r, "metadata": {}}
            for r in User.objects.filter(id__in=ids).values("id", *NAME_FIELDS)
        }
    return {
        str(r["user_id"]): {**r, **{f: r[f"user__{f}"] for f in NAME_FIELDS}}
        for r in LeaderboardRecord.objects.filter(
            board_id=board_id, period_start=cast(datetime, period_start), user_id__in=ids
        ).values("user_id", "metadata", *(f"user__{f}" for f in NAME_FIELDS))
    }


def names_and_metadata(board_id: int | None, period_start: datetime | None, ids: list[str]) -> Found:
    """For each of ``ids`` holding a record in that period (``board_id`` None: the players
    of the global board, whose records have no metadata): its names and metadata."""
    if not ids:
        return {}
    if connection.vendor == "postgresql":
        return _plain(board_id, period_start, ids)
    return _orm(board_id, period_start, ids)
