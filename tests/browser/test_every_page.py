"""A screenshot of every page, in Chinese, as a role its row lets in: the walk goes over
``pages.routes.PAGE_ROLES`` itself, so a page any area adds is photographed (and must
answer 200) once it is merged. Left out: forms (not GET), paths with a ``{parameter}``
(static files, the language switch), streams (``…/events``, ``…/stream``), downloads
(``.csv``) and ``/`` (a redirect). Written to ``build/screenshots/page-<path>.png``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser

from asterisk_conf.sandbox.sandbox import Sandbox
from core.actor import Role
from core.settings import Settings
from pages.routes import PAGE_ROLES, Roles
from tests.browser.conftest import open_page, screenshot
from tests.browser.sessions import JOB_OF, add_staff, log_in_as
from tests.e2e.agents import make_roster, running_service, service_settings

HTTP_PORT = 18132
NOT_PAGES = ("/events", "/stream", ".csv")


def who_opens(roles: Roles) -> Role | None:
    """A role the row lets in (agents first); None: an open page, seen logged out."""
    if roles is None:
        return None
    return next(role for role in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN) if role in roles)


def pages_to_photograph() -> list[tuple[str, Role | None]]:
    return [
        (path, who_opens(roles))
        for (method, path), roles in sorted(PAGE_ROLES.items())
        if method == "GET" and "{" not in path and path != "/" and not path.endswith(NOT_PAGES)
    ]


def shot_name(path: str) -> str:
    return "page-" + path.strip("/").replace("/", "-")


def test_the_walk_finds_the_pages() -> None:
    walked = dict(pages_to_photograph())
    assert walked["/signin"] is None and walked["/agent"] is Role.AGENT
    assert walked["/reports"] is Role.SUPERVISOR and "/agent/events" not in walked


@pytest.fixture
async def base(settings: Settings, sandbox: Sandbox, fresh_db: str) -> AsyncIterator[Settings]:
    yield service_settings(settings, sandbox, fresh_db, HTTP_PORT)


async def test_a_screenshot_of_every_page_in_chinese(base: Settings, browser: Browser) -> None:
    await make_roster(base.database_url, {JOB_OF[Role.AGENT]: 0})
    await add_staff(base.database_url)
    url = f"http://127.0.0.1:{HTTP_PORT}"
    answers = {}
    async with running_service(base), open_page(browser, url) as page:
        for path, role in pages_to_photograph():
            if role is None:
                await page.context.clear_cookies()
            else:
                await log_in_as(page, url, base.database_url, role)
            response = await page.goto(path, wait_until="load")
            answers[path] = None if response is None else response.status
            assert await page.locator("html").get_attribute("lang") == "zh"
            await screenshot(page, shot_name(path))
    assert set(answers.values()) == {200}, answers
