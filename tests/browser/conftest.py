"""Headless Chromium (the system's package, driven by Playwright) against a live server.

Each test gets a fresh browser context on `live_server`; when a test fails, a screenshot of
its last page is kept under test-artifacts/browser/.
"""

import os
import re
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, Playwright, ViewportSize, sync_playwright

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# there are still synchronous, one at a time.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
# Chromium as root in a container, with no network beyond loopback: no sandbox, no GPU, and
# none of the background connections it would otherwise keep trying.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """Return the system Chromium, or skip (fail under REQUIRE_SERVICES) when there is none."""
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if path:
        return path
    message = "browser tests need Chromium: apt-get install chromium (or set CHROMIUM_PATH)"
    if settings.REQUIRE_SERVICES:
        pytest.fail(message)
    pytest.skip(message)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    # Kept on the item so the `page` fixture can tell, at teardown, that the test failed.
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    yield launched
    launched.close()


# The sizes issue reports and tests look at: a laptop, and a phone held upright.
VIEWPORTS: dict[str, ViewportSize] = {
    "desktop": {"width": 1366, "height": 768},
    "mobile": {"width": 390, "height": 844},
}


def _open(
    browser: Browser, live_server: Any, request: pytest.FixtureRequest, viewport: ViewportSize
) -> Iterator[Page]:
    """Yield a fresh browser context (no cookies) on the live server; screenshot on failure."""
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    context.set_default_timeout(10_000)
    opened = context.new_page()
    yield opened
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        opened.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()


@pytest.fixture
def page(browser: Browser, live_server: Any, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context (no cookies) on the live server; screenshot on failure."""
    yield from _open(browser, live_server, request, {"width": 1280, "height": 900})


@pytest.fixture(params=list(VIEWPORTS))
def sized_page(
    browser: Browser, live_server: Any, request: pytest.FixtureRequest
) -> Iterator[Page]:
    """As `page`, once at each of VIEWPORTS (desktop and mobile)."""
    yield from _open(browser, live_server, request, VIEWPORTS[request.param])
