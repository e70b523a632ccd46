"""A model's INSERT written once per database vendor, its values prepared as the ORM does.

``Model.objects.create()`` / ``save(force_insert=True)`` compile the INSERT on every call;
on the hot paths (an action token, a ledger row) that compilation was a measurable part of
a request's CPU (docs/benchmarks.md). Sends no signal: callers that need ``post_save`` send it.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Model

_SQL: dict[tuple[type[Model], str], str] = {}


def insert_sql(model: type[Model]) -> str:
    """``INSERT INTO <table> (<every concrete column>) VALUES (%s, ...)`` for this connection's vendor."""
    key = (model, connection.vendor)
    sql = _SQL.get(key)
    if sql is None:
        qn = connection.ops.quote_name
        fields = model._meta.concrete_fields
        sql = _SQL[key] = (
            f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # nosec B608
            f"VALUES ({', '.join('%s' for _ in fields)})"
        )
    return sql


def insert_params(instance: Model) -> list[Any]:
    """The values of ``instance``'s concrete fields, in ``insert_sql``'s order, prepared for the database."""
    return [
        field.get_db_prep_save(field.pre_save(instance, True), connection)
        for field in instance._meta.concrete_fields
    ]
