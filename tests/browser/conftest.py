"""Browser tests: the pages in headless Chromium (design.md "Browser tests").

Debian's ``chromium`` package (``scripts/lib.sh`` ``setup_host`` installs it, and
``fonts-noto-cjk`` so Chinese renders) driven by the ``playwright`` Python package — never
``playwright install``, which downloads a browser of its own. One browser per module;
each test opens a context of its own (its own cookies). Screenshots go to
``build/screenshots/`` (git-ignored), named by page and state.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

# the end-to-end tier's fixtures: the sandbox's secrets, SIPp, no call left over
from tests.e2e.conftest import no_calls_left_over, secrets, sipp  # noqa: F401

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def chromium_installed() -> bool:
    return CHROMIUM.exists()


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    if not chromium_installed():
        pytest.fail("Debian's chromium is missing: scripts/test installs it (setup_host)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield launched
        finally:
            await launched.close()


@contextlib.asynccontextmanager
async def open_page(browser: Browser, base_url: str) -> AsyncIterator[Page]:
    """A fresh browser context (no cookies) at ``base_url``, in Chinese; closed at the
    end, so its live streams end before the service stops."""
    context = await browser.new_context(
        base_url=base_url, locale="zh-CN", viewport={"width": 1024, "height": 640}
    )
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
