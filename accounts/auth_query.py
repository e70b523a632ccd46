"""The one query behind every authenticated request, compiled once per database.

It reads the account's row together with the two revocation answers (is this access
token on the deny list, is its login session revoked), so a ban, a deactivation, a new
password, a logout or a refresh-token reuse takes effect on the very next request while
each request costs one indexed SELECT and no Redis round trip. The ORM builds the SQL
once; afterwards a request only binds three parameters, skipping the per-call queryset
compilation that profiles showed on the completion path (issue 10).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Exists

from .models import LoginSession, RevokedAccessToken, User

# Placeholders the ORM compiles into the statement; requests put their values in their place.
_USER = uuid.UUID("00000000-0000-4000-8000-00000000a001")
_SESSION = uuid.UUID("00000000-0000-4000-8000-00000000a002")
_JTI = "compiled-placeholder-jti"


@dataclass(frozen=True)
class _Statement:
    sql: str
    params: tuple
    slots: tuple[int, int, int]  # positions of the user id, the session id, the jti
    field_names: tuple[str, ...]
    user_columns: tuple[int, ...]  # the row's columns that hold the user's fields, in order
    revoked_columns: tuple[int, int]  # the row's columns of the two revocation answers
    converters: tuple  # (column, converters, expression): the backend's value conversions


@dataclass(frozen=True)
class AuthRow:
    user: User
    token_revoked: bool
    session_revoked: bool


_statements: dict[tuple[str, str], _Statement] = {}
_lock = threading.Lock()


def _prep_uuid(value: uuid.UUID | None, alias: str):
    return None if value is None else User._meta.pk.get_db_prep_value(value, connections[alias])


def _compile(alias: str) -> _Statement:
    queryset = (
        User.objects.using(alias)
        .filter(pk=_USER)
        .annotate(
            auth_token_revoked=Exists(RevokedAccessToken.objects.filter(jti=_JTI)),
            auth_session_revoked=Exists(LoginSession.objects.filter(pk=_SESSION, revoked_at__isnull=False)),
        )
    )
    compiler = queryset.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()  # also fills compiler.select, klass_info, annotation_col_map
    params = tuple(params)
    placeholders = (_prep_uuid(_USER, alias), _prep_uuid(_SESSION, alias), _JTI)
    user_slot, session_slot, jti_slot = (params.index(value) for value in placeholders)
    slots = (user_slot, session_slot, jti_slot)
    if any(params.count(value) != 1 for value in placeholders):
        raise RuntimeError("authentication query: a placeholder is not bound exactly once")
    expressions = [column for column, _, _ in compiler.select]
    converters = tuple(
        (position, tuple(funcs), expression)
        for position, (funcs, expression) in compiler.get_converters(expressions).items()
    )
    user_columns = tuple(compiler.klass_info["select_fields"])
    field_names = tuple(compiler.select[position][0].target.attname for position in user_columns)
    revoked_columns = (
        compiler.annotation_col_map["auth_token_revoked"],
        compiler.annotation_col_map["auth_session_revoked"],
    )
    return _Statement(
        sql=sql,
        params=params,
        slots=slots,
        field_names=field_names,
        user_columns=user_columns,
        revoked_columns=revoked_columns,
        converters=converters,
    )


def _statement(alias: str) -> _Statement:
    key = (alias, connections[alias].vendor)
    statement = _statements.get(key)
    if statement is None:
        with _lock:
            statement = _statements.get(key) or _compile(alias)
            _statements[key] = statement
    return statement


def auth_row(
    *, user_id: uuid.UUID, session_id: uuid.UUID | None, jti: str | None, alias: str = DEFAULT_DB_ALIAS
) -> AuthRow | None:
    """The account ``user_id`` and whether the token (``jti``, ``session_id``) is revoked;
    None when no account has that id."""
    statement = _statement(alias)
    params = list(statement.params)
    for slot, value in zip(
        statement.slots, (_prep_uuid(user_id, alias), _prep_uuid(session_id, alias), jti or ""), strict=True
    ):
        params[slot] = value
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    row = list(row)
    for position, funcs, expression in statement.converters:
        value = row[position]
        for func in funcs:
            value = func(value, expression, connection)
        row[position] = value
    user = User.from_db(alias, statement.field_names, [row[position] for position in statement.user_columns])
    token_revoked, session_revoked = (bool(row[position]) for position in statement.revoked_columns)
    return AuthRow(user=user, token_revoked=token_revoked, session_revoked=session_revoked)
