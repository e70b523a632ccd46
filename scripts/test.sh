#!/usr/bin/env bash
# Everything the tests need, then the whole suite twice: on the production shape
# (PostgreSQL + Redis on this machine) and on the embedded defaults (SQLite, in-process).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PG_DB=${TEST_PG_DB:-scoreboard}
REDIS_DB=${TEST_REDIS_DB:-15}

bash scripts/services.sh
bash scripts/browser.sh

export SECRET_KEY=${SECRET_KEY:-test-secret-key-not-for-production}
export JWT_SECRET=${JWT_SECRET:-test-jwt-secret-not-for-production-0123456789}
export ACTION_TOKEN_SECRETS=${ACTION_TOKEN_SECRETS:-test-action-secret-one-not-for-production,test-action-secret-two-not-for-production}

run_suite() {
  local label=$1; shift
  echo "=== test suite on $label ==="
  set +e
  env "$@" "$VENV/bin/pytest" "${PYTEST_ARGS[@]}"
  local rc=$?
  set -e
  if [ $rc -ne 0 ]; then
    echo "=== FAILED on $label (exit $rc) ==="
    exit $rc
  fi
}

PYTEST_ARGS=("$@")
run_suite "PostgreSQL + Redis" \
  DATABASE_URL="postgres://postgres@127.0.0.1:5432/$PG_DB" REDIS_URL="redis://127.0.0.1:6379/$REDIS_DB"
if [ "${SKIP_EMBEDDED:-0}" != "1" ]; then
  run_suite "embedded defaults (SQLite, in-process layer and cache)" -u DATABASE_URL -u REDIS_URL
fi
