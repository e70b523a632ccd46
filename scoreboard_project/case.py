"""snake_case inside, camelCase on the wire: the one conversion, for every answer and frame.

The API renderer camelCases every REST answer with ``camelize``. The real-time frames are
serialized once per update with orjson, without the renderer: they camelCase their rows
with ``camel_rows``, under the same key rule, so a WebSocket or SSE entry reads exactly
like a REST one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from functools import lru_cache
from typing import Any

from django.utils.encoding import force_str
from django.utils.functional import Promise
from djangorestframework_camel_case.util import camelize_re, underscore_to_camel

_SCALARS = (str, int, float, type(None))


@lru_cache(maxsize=512)
def camel_key(key: str) -> str:
    """``user_id`` -> ``userId``: djangorestframework_camel_case's rule, kept per key
    (answers repeat a few hundred key names; the regex ran once per key per answer)."""
    return camelize_re.sub(underscore_to_camel, key)


@lru_cache(maxsize=64)
def _camel_names(keys: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(camel_key(key) for key in keys)


def camel_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Flat rows (scalar values, such as leaderboard entries) with camelCase keys.

    Called once per frame built, never per socket or per read.
    """
    return [dict(zip(_camel_names(tuple(row)), row.values(), strict=True)) for row in rows]


def camelize(
    data: Any,
    *,
    ignore_fields: Collection[str] | None = None,
    ignore_keys: Collection[str] | None = None,
    **_options: object,
) -> Any:
    """What ``djangorestframework_camel_case.util.camelize`` returns (same keys, values and
    ``ignore_fields`` / ``ignore_keys``), in plain dicts and with ``camel_key``: it runs on
    every REST answer."""
    if isinstance(data, _SCALARS):
        return data
    if isinstance(data, Promise):
        return force_str(data)
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if isinstance(key, Promise):
                key = force_str(key)
            new_key = camel_key(key) if isinstance(key, str) and "_" in key else key
            if ignore_fields and (key in ignore_fields or new_key in ignore_fields):
                result = value
            elif isinstance(value, _SCALARS):
                result = value
            else:
                result = camelize(value, ignore_fields=ignore_fields, ignore_keys=ignore_keys)
            out[key if ignore_keys and (key in ignore_keys or new_key in ignore_keys) else new_key] = result
        return out
    try:
        items = iter(data)
    except TypeError:
        return data
    return [camelize(item, ignore_fields=ignore_fields, ignore_keys=ignore_keys) for item in items]
