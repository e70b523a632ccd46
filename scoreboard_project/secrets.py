"""Secrets for development, and the refusal to run production without real ones."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "JWT_SECRET", "ACTION_TOKEN_SECRETS")


def development_secrets(path: Path) -> dict[str, str]:
    """Random secrets generated once and kept in a git-ignored file.

    Kept on disk (not regenerated per process) so that tokens survive a restart of
    `make run` and every local process signs with the same keys.
    """
    try:
        stored = json.loads(path.read_text())
        if all(isinstance(stored.get(name), str) for name in REQUIRED_IN_PRODUCTION):
            return stored
    except (OSError, ValueError):
        pass
    generated = {name: secrets.token_urlsafe(48) for name in REQUIRED_IN_PRODUCTION}
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        # Another process won the race to create it: use what it wrote.
        return json.loads(path.read_text())
    except OSError:
        return generated
    with os.fdopen(fd, "w") as handle:
        json.dump(generated, handle)
    return generated


def resolve_secrets(*, production: bool, dev_file: Path) -> dict[str, str]:
    provided = {name: os.environ.get(name, "").strip() for name in REQUIRED_IN_PRODUCTION}
    missing = [name for name, value in provided.items() if not value]
    if not missing:
        return provided
    if production:
        raise ImproperlyConfigured(
            "Refusing to start in production without "
            + ", ".join(missing)
            + ": set them in the environment (development defaults apply only on the "
            "embedded SQLite set-up or with DEBUG=true)."
        )
    generated = development_secrets(dev_file)
    return {name: provided[name] or generated[name] for name in REQUIRED_IN_PRODUCTION}
