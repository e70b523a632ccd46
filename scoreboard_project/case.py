"""snake_case inside, camelCase on the wire.

The API renderer camelCases every REST answer. The real-time frames are serialized once
per update with orjson, without the renderer: they camelCase their rows here, with the
renderer's own key rule, so a WebSocket or SSE entry reads exactly like a REST one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from djangorestframework_camel_case.util import camelize_re, underscore_to_camel


@lru_cache(maxsize=256)
def camel_key(key: str) -> str:
    """``user_id`` -> ``userId``, exactly as the renderer writes it (a handful of keys: cached)."""
    return camelize_re.sub(underscore_to_camel, key)


def camel_rows(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Flat rows (scalar values, such as leaderboard entries) with camelCase keys.

    Called once per frame built, never per socket or per read.
    """
    return [{camel_key(key): value for key, value in row.items()} for row in rows]
