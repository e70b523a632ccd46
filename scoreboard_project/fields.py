"""Serializer fields that refuse wrong JSON types instead of coercing them.

DRF's CharField turns ``12345`` or ``true`` into a string; the contract answers wrong
types with 400 VALIDATION_ERROR, so strings must arrive as strings.
"""

from __future__ import annotations

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
