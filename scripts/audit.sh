#!/usr/bin/env bash
# Known vulnerabilities in the locked dependencies (pip-audit), when its database can be reached.
# pip-audit asks the PyPI JSON API about every locked release. Where that API cannot be reached
# (an offline machine, or an index mirror that serves only the simple index), every package
# comes back "could not be audited" and pip-audit would still say "No known vulnerabilities":
# so probe first, and say plainly that the audit was skipped instead of passing it silently.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
DJANGO_PIN=$(grep -i '^django==' requirements.txt | cut -d= -f3)
if ! "$BIN/python" - "$DJANGO_PIN" <<'PY'
import sys, urllib.request
try:  # the per-release endpoint, the one pip-audit reads
    with urllib.request.urlopen(f"https://pypi.org/pypi/django/{sys.argv[1]}/json", timeout=5) as response:
        sys.exit(0 if response.status == 200 and b'"vulnerabilities"' in response.read() else 1)
except Exception:
    sys.exit(1)
PY
then
  echo "pip-audit SKIPPED: its vulnerability database (the PyPI JSON API) is unreachable from this machine."
  echo "           Run 'make lint' where it can be reached to audit requirements*.lock."
  exit 0
fi
for lock in requirements.lock requirements-dev.lock; do
  "$BIN/pip-audit" --strict --progress-spinner off --disable-pip --require-hashes -r "$lock"
done
