"""How a player is named on a board: the one place ``displayName`` is decided.

The players issue adds ``User.display_name``; until then a record's ``displayName`` is
the username. To switch: add the column to ``NAME_FIELDS`` and read it below.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NAME_FIELDS = ("username",)  # the User columns the function reads


def display_name_of(row: Mapping[str, Any]) -> str:
    """``row`` holds the ``NAME_FIELDS`` of a user (a ``values()`` dict)."""
    return row["username"]
