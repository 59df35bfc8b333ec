"""Browser fixtures: Debian's Chromium through Playwright, a live server as Cuecast's public URL."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import clear_config_caches, require

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = Path(os.environ.get("CUECAST_SCREENSHOTS", tempfile.gettempdir()))
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch: pytest.MonkeyPatch) -> None:
    """Playwright's sync API runs an event loop in this thread, which makes Django refuse ORM calls
    here; they are safe (nothing else runs on that loop). Only for this module's tests."""
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def public_url(live_server: Any, sandbox: Any) -> Iterator[str]:
    """OAuth redirect URIs must come back to the live server, not the configured default."""

    previous = os.environ.get("CUECAST_PUBLIC_URL")
    os.environ["CUECAST_PUBLIC_URL"] = live_server.url
    clear_config_caches()
    yield live_server.url
    if previous is None:
        os.environ.pop("CUECAST_PUBLIC_URL", None)
    else:
        os.environ["CUECAST_PUBLIC_URL"] = previous
    clear_config_caches()


@pytest.fixture
def browser_page() -> Iterator[Any]:
    require(Path(CHROMIUM).exists(), f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    # The machine may be busy (two cores, the whole suite): wait as long as the page does.
    expect.set_options(timeout=15_000)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()


def publish_due(at: datetime) -> int:
    """Run the dispatcher on a controlled clock, off this thread (its asyncio.run would clash
    with Playwright's loop)."""
    from django.db import connection

    from cuecast.publishing.dispatcher import run_once

    def work() -> int:
        try:
            return run_once(now=at)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result(timeout=60)
