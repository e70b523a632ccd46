"""Path parameters: a malformed id is bad input (400), an unknown one is NOT_FOUND (404)."""

from __future__ import annotations

import uuid

from .errors import ValidationFailed


def path_uuid(value: str, *, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationFailed(details={field: ["Must be a UUID."]}) from None


def path_id(value: str, *, field: str) -> int:
    if not value.isascii() or not value.isdigit() or len(value) > 18 or int(value) < 1:
        raise ValidationFailed(details={field: ["Must be a positive whole number."]})
    return int(value)
