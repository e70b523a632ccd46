"""Fail when requirements*.txt pin something the lock files do not (run `make lock`).

The lock (pip-compile --generate-hashes) is what `make install`, the Dockerfile and CI
install; a pin added to requirements.txt without relocking would silently not be there.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;#\\]+)")


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            found[norm(match.group(1))] = match.group(3)
    return found


def main() -> int:
    problems = []
    for source, lock in (
        ("requirements.txt", "requirements.lock"),
        ("requirements-dev.txt", "requirements-dev.lock"),
    ):
        locked = pins(ROOT / lock)
        wanted = pins(ROOT / source)
        if source == "requirements-dev.txt":
            wanted.update(pins(ROOT / "requirements.txt"))
        for name, version in sorted(wanted.items()):
            if locked.get(name) != version:
                problems.append(f"{source} pins {name}=={version}, {lock} has {locked.get(name, 'nothing')}")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print("The lock files are out of date: run `make lock` and commit them.", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
