"""Secrets for development, and the refusal to run production without real ones."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "JWT_SECRET", "ACTION_TOKEN_SECRETS")
MIN_SECRET_BYTES = 32  # HS256 and HMAC-SHA256 keys: at least the hash's own 256 bits
DEBUG_OVERRIDE = "ALLOW_DEBUG_IN_PRODUCTION"


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


def weak_secrets(provided: dict[str, str]) -> list[str]:
    """One line per variable whose secret (or, for the comma-separated ACTION_TOKEN_SECRETS,
    any one secret of the list) is shorter than MIN_SECRET_BYTES. Never the value itself."""
    problems = []
    for name, value in provided.items():
        parts = [part.strip() for part in value.split(",")] if name == "ACTION_TOKEN_SECRETS" else [value]
        for index, part in enumerate(parts, start=1):
            size = len(part.encode())
            if size < MIN_SECRET_BYTES:
                which = (
                    f"secret {index} of {len(parts)} (commas separate secrets)"
                    if len(parts) > 1
                    else "the secret"
                )
                problems.append(f"{name}: {which} is {size} bytes")
    return problems


def refuse_debug_in_production_shape(*, debug: bool, production_shape: bool, override: bool) -> None:
    """DEBUG on PostgreSQL/Redis would leak tracebacks and accept development secrets:
    refused unless ALLOW_DEBUG_IN_PRODUCTION says it is meant."""
    if debug and production_shape and not override:
        raise ImproperlyConfigured(
            "Refusing to start with DEBUG=true on the production shape (DATABASE_URL on PostgreSQL or "
            f"REDIS_URL set): set DEBUG=false, or {DEBUG_OVERRIDE}=true if this really is a debugging set-up."
        )


def resolve_secrets(*, production: bool, dev_file: Path) -> dict[str, str]:
    provided = {name: os.environ.get(name, "").strip() for name in REQUIRED_IN_PRODUCTION}
    missing = [name for name, value in provided.items() if not value]
    if production and missing:
        raise ImproperlyConfigured(
            "Refusing to start in production without "
            + ", ".join(missing)
            + ": set them in the environment (development defaults apply only on the "
            f"embedded SQLite set-up or with DEBUG=true and {DEBUG_OVERRIDE}=true)."
        )
    if production and (weak := weak_secrets(provided)):
        raise ImproperlyConfigured(
            f"Refusing to start in production with secrets under {MIN_SECRET_BYTES} bytes: "
            + "; ".join(weak)
            + ". Generate each with e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        )
    if not missing:
        return provided
    generated = development_secrets(dev_file)
    return {name: provided[name] or generated[name] for name in REQUIRED_IN_PRODUCTION}
