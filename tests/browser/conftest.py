from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

CHROMIUM = os.environ.get("UPDATESRV_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# Chromium must make no outside connections here (closed network, reproducible tests).
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run",
               "--disable-quic", "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser(request: pytest.FixtureRequest) -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        message = (f"Chromium not found at {CHROMIUM}: install Debian's 'chromium' "
                   "(apt-get install chromium) to run the browser tests")
        if request.config.getoption("--require-browser"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    # A viewer outside UTC, to see times shown in their own zone.
    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  timezone_id="Europe/Berlin", locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors
    yield page
    context.close()
