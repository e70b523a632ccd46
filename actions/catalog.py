"""The action-type catalog, read through the shared cache.

The completion path needs a type's bounds on every call; the rows change only when an
operator edits them in the admin, and the receivers in ``apps.py`` drop the cached copy
on every save or delete. The cache is shared by every process (Redis in production).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from django.core.cache import cache
from redis.exceptions import RedisError

from .exceptions import UnknownActionType
from .models import CATALOG_FIELDS, ActionType

CACHE_SECONDS = 300


@dataclass(frozen=True)
class ActionKind:
    id: int
    code: str
    points: int
    min_duration_ms: int
    max_duration_ms: int
    repeatable: bool
    authoritative: bool
    enabled: bool
    daily_limit: int | None = None
    references: tuple[str, ...] | None = None

    def allows_reference(self, reference: str) -> bool:
        return self.references is None or reference in self.references


def _cache_key(code: str) -> str:
    return f"actions:type:v2:{code}"  # v2: with daily_limit and references


def _load(code: str) -> ActionKind | None:
    row = ActionType.objects.filter(code=code).values("id", *CATALOG_FIELDS).first()
    return _kind(row) if row else None


def _kind(row: Mapping[str, Any]) -> ActionKind:
    references = row.get("references")
    return ActionKind(**{**row, "references": tuple(references) if references is not None else None})


def action_kind_get(code: str) -> ActionKind:
    """The enabled action type ``code``; UnknownActionType when there is none or it is disabled."""
    try:
        cached = cache.get(_cache_key(code))
    except (RedisError, OSError):
        cached = None
    kind = _kind(cached) if cached else _load(code)
    if kind is not None and not cached:
        try:
            cache.set(_cache_key(code), asdict(kind), CACHE_SECONDS)
        except (RedisError, OSError):
            pass
    if kind is None or not kind.enabled:
        raise UnknownActionType(details={"actionType": code})
    return kind


def action_kind_forget(code: str) -> None:
    try:
        cache.delete(_cache_key(code))
    except (RedisError, OSError):
        pass


def action_types_list() -> list[ActionType]:
    return list(ActionType.objects.filter(enabled=True).order_by("code"))
