#!/usr/bin/env bash
# Headless Chromium for the browser tests (tests/e2e, marker `browser`), from Debian.
# Idempotent: does nothing when /usr/bin/chromium exists. Never `playwright install`:
# the tests launch this binary through Playwright's executable_path.
set -uo pipefail

CHROMIUM=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then
  exit 0
fi

echo "Chromium is missing ($CHROMIUM): installing it with apt-get"
SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
if command -v apt-get >/dev/null 2>&1; then
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

if [ ! -x "$CHROMIUM" ]; then
  cat >&2 <<'WARN'
########################################################################################
#  WARNING: Chromium could not be installed (apt-get install chromium failed).          #
#  The browser tests (tests/e2e, marker `browser`) will be SKIPPED, not run.            #
#  Install it by hand: apt-get update && apt-get install -y chromium                   #
########################################################################################
WARN
fi
exit 0
