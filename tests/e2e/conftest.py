"""Browser fixtures: headless Chromium from Debian (/usr/bin/chromium, installed by
scripts/browser.sh; never `playwright install`) and real daphne processes."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.conf import settings

from tests.helpers.child_servers import DaphneServer, server_env

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium for one module. Playwright's sync API keeps an event loop running in this
    thread, which Django's async-safety check mistakes for async code calling the ORM;
    the check is lifted for the module only and restored after it."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: run scripts/browser.sh (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            yield instance
            instance.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="module")
def daphne_server(django_db_setup, django_db_blocker, test_env) -> Iterator[DaphneServer]:
    """A server on the test database for the module (tests use ``transactional_db`` so
    that what they write is committed and visible to it)."""
    if settings.USES_SQLITE:
        pytest.skip("a child server needs a shared PostgreSQL test database")
    server = DaphneServer(server_env(test_env)).start()
    yield server
    server.stop()
