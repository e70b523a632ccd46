"""Display names: what the boards show. The username stays the login name.

A display name is 1-32 characters after NFC normalisation and trimming of surrounding
white space: letters of any script (with their combining marks), digits, spaces,
punctuation and symbols. Refused: control characters (Cc), format characters (Cf: the
bidirectional overrides, embeddings, isolates and marks, zero-width joiners), private use,
surrogates, unassigned code points and line/paragraph separators. Markup is not refused:
it is text, escaped wherever a name is shown (templates, ``textContent``, ``format_html``).
"""

from __future__ import annotations

import unicodedata

from scoreboard_project.errors import ValidationFailed

from .models import User

MAX_LENGTH = 32
# General categories a display name may use: letters, marks, numbers, punctuation, symbols, spaces.
ALLOWED_CATEGORIES = frozenset(
    {
        "Lu",
        "Ll",
        "Lt",
        "Lm",
        "Lo",
        "Mn",
        "Mc",
        "Me",
        "Nd",
        "Nl",
        "No",
        "Pc",
        "Pd",
        "Ps",
        "Pe",
        "Pi",
        "Pf",
        "Po",
        "Sm",
        "Sc",
        "Sk",
        "So",
        "Zs",
    }
)


def shown_name(display_name: str, username: str) -> str:
    """What every board, event and page shows for a player: the display name, else the username."""
    return display_name or username


def display_name_of(user: User) -> str:
    return shown_name(user.display_name, user.username)


def clean_display_name(value: object, *, field: str = "displayName") -> str:
    """The NFC form of ``value``; ValidationFailed naming ``field`` otherwise."""
    if not isinstance(value, str):
        raise ValidationFailed(details={field: ["Must be a string."]})
    if len(value) > 4 * MAX_LENGTH:  # before normalising: NFC of a huge string is work for nothing
        raise ValidationFailed(details={field: [f"At most {MAX_LENGTH} characters."]})
    name = unicodedata.normalize("NFC", value).strip()
    if not name:
        raise ValidationFailed(details={field: ["Must not be blank."]})
    if len(name) > MAX_LENGTH:
        raise ValidationFailed(details={field: [f"At most {MAX_LENGTH} characters."]})
    for char in name:
        if unicodedata.category(char) not in ALLOWED_CATEGORIES:
            raise ValidationFailed(
                details={
                    field: [
                        f"U+{ord(char):04X} is not allowed: control, format (bidirectional) and invisible "
                        "characters are refused."
                    ]
                }
            )
    return name


def display_name_set(*, user: User, display_name: object) -> User:
    """Set the caller's display name: one single-column UPDATE."""
    user.display_name = clean_display_name(display_name)
    user.save(update_fields=["display_name"])
    return user


def display_name_reset(*, user: User) -> str:
    """Back to the username (a moderator's reset of an offensive name). Answers the old name."""
    previous = user.display_name
    user.display_name = ""
    user.save(update_fields=["display_name"])  # the leaderboard's receiver rebroadcasts
    return previous
