"""Serializer fields that refuse wrong JSON types instead of coercing them.

DRF's CharField turns ``12345`` or ``true`` into a string; the contract answers wrong
types with 400 VALIDATION_ERROR, so strings must arrive as strings.
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from rest_framework import serializers


class _StrictString:
    default_error_messages: ClassVar[dict[str, Any]] = {"not_a_string": "Must be a string."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class StrictCharField(_StrictString, serializers.CharField):
    pass


class StrictRegexField(_StrictString, serializers.RegexField):
    pass


class StrictEmailField(_StrictString, serializers.EmailField):
    pass


class StrictIntegerField(serializers.IntegerField):
    """A JSON number with no fractional part; ``"10"``, ``true`` and ``1.5`` are refused."""

    default_error_messages = {"not_an_integer": "Must be a whole number."}

    def to_internal_value(self, data):
        if (
            isinstance(data, bool)
            or not isinstance(data, int | float)
            or (isinstance(data, float) and not data.is_integer())
        ):
            self.fail("not_an_integer")
        return super().to_internal_value(int(data))


class StrictUUIDField(_StrictString, serializers.UUIDField):
    """A UUID written as a string (DRF would also take an integer as one)."""


class QueryIntegerField(serializers.IntegerField):
    """An integer query parameter in ASCII digits (``int()`` would also take ``٥`` or ``５``)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and not re.fullmatch(r"-?[0-9]{1,18}", data.strip()):
            self.fail("invalid")
        return super().to_internal_value(data)


class MetadataField(serializers.JSONField):
    """A caller's ``metadata``: a JSON object of at most ``max_bytes`` as compact UTF-8.

    Stored as PostgreSQL ``jsonb``, which cannot hold the character U+0000, and measured
    as UTF-8, which has no lone surrogate (``"\\ud800"`` is valid JSON): a key or a
    string holding either is refused here, as the string fields refuse them (both were
    a 500).
    """

    default_error_messages: ClassVar[dict[str, Any]] = {
        "not_an_object": "Must be an object.",
        "too_large": "Must be at most {max_bytes} bytes as JSON.",
        "bad_character": "Must not contain the character U+0000 or a lone surrogate.",
        "integer_range": "Integers must be within the signed 64-bit range.",
    }

    def __init__(self, *, max_bytes: int, **kwargs: Any) -> None:
        self.max_bytes = max_bytes
        kwargs.setdefault(
            "help_text",
            f"A JSON object, at most {max_bytes} bytes as compact UTF-8; no U+0000 or lone "
            "surrogate, integers within the signed 64-bit range.",
        )
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            self.fail("not_an_object")
        if _holds_unstorable(value):
            self.fail("bad_character")
        if _holds_wide_integer(value):
            self.fail("integer_range")
        if len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()) > self.max_bytes:
            self.fail("too_large", max_bytes=self.max_bytes)
        return value


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _holds_unstorable(value: Any) -> bool:
    """Walked with a list, not recursion: a body may nest as deep as its parser allows."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item) is not None:
                return True
        elif isinstance(item, dict):
            pending.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


INT64 = range(-(2**63), 2**63)


def _holds_wide_integer(value: Any) -> bool:
    """An integer beyond 64 bits: the JSON writers of the answers and the live frames
    (orjson) cannot write one (a record's was a 500), and few clients read one exactly."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, int) and not isinstance(item, bool):
            if item not in INT64:
                return True
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False
