"""Prepared statements that outlive a change of a table's columns.

psycopg prepares a statement once a connection has run it ``DB_PREPARE_THRESHOLD`` times
(settings). PostgreSQL refuses to run a prepared statement whose result's columns changed
type since it was prepared ("cached plan must not change result type"), and keeps refusing
on that connection: a migration that changes a column's type while the app runs would
fail every request that reads it, on every pooled connection, until the pool replaces them.

Inside a transaction the rollback that follows the error already heals the connection
(psycopg forgets its prepared statements on ROLLBACK). Outside one (autocommit, where the
authentication query and the board pages run), ``heal_changed_plan`` forgets them with
``DEALLOCATE ALL`` (which psycopg notices and clears its own cache) and runs the statement
once more, now unprepared.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import NotSupportedError
from django.db.backends.signals import connection_created

logger = logging.getLogger("scoreboard.db")

PLAN_CHANGED = "cached plan must not change result type"


def heal_changed_plan(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict) -> Any:
    """Django execute wrapper (installed on every PostgreSQL connection by ``connect``)."""
    try:
        return execute(sql, params, many, context)
    except NotSupportedError as exc:
        connection = context["connection"]
        if PLAN_CHANGED not in str(exc) or not connection.get_autocommit():
            raise
        logger.warning("a table changed under this connection's prepared statements: they are dropped")
        with connection.cursor() as cursor:
            cursor.execute("DEALLOCATE ALL")
        return execute(sql, params, many, context)


def _install(sender: Any, connection: Any, **_: Any) -> None:
    if connection.vendor == "postgresql" and heal_changed_plan not in connection.execute_wrappers:
        connection.execute_wrappers.append(heal_changed_plan)


def connect() -> None:
    """Called once from ``AppConfig.ready``."""
    connection_created.connect(_install, dispatch_uid="prepared.heal_changed_plan")
