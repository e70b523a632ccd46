"""How a player is named on a named board's records: the columns a page reads for it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accounts.display_names import shown_name

NAME_FIELDS = ("username", "display_name")  # the User columns a record's names come from


def display_name_of(row: Mapping[str, Any]) -> str:
    """``row`` holds the ``NAME_FIELDS`` of a user (a ``values()`` dict)."""
    return shown_name(row["display_name"], row["username"])
