"""The admin's accounts page in a real browser, against the real service: an admin
adds an agent (issue 12's test), the page lists it, and the new agent logs in with the
PIN the admin typed. Screenshots of the accounts and desk-phone pages, in Chinese."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest
from playwright.async_api import Browser, expect

from accounts.passwords import PasswordCost, Passwords
from asterisk_conf.sandbox.sandbox import Sandbox
from core.settings import Settings
from tests.browser.conftest import open_page, screenshot
from tests.e2e.agents import PIN, make_roster, running_service, service_settings

HTTP_PORT = 18121
ADMIN, PASSWORD = "1099", "admin passphrase of the test"
NEW = "1060"


@pytest.fixture
async def base(settings: Settings, sandbox: Sandbox, fresh_db: str) -> AsyncIterator[Settings]:
    base = service_settings(settings, sandbox, fresh_db, HTTP_PORT)
    await make_roster(fresh_db, {"1001": 0})
    conn = await asyncpg.connect(fresh_db)
    try:
        await conn.execute(
            "INSERT INTO agents (job_number, name, role, password_hash)"
            " VALUES ($1, '管理员', 'admin', $2)",
            ADMIN,
            Passwords(PasswordCost.of(base)).hash(PASSWORD),
        )
    finally:
        await conn.close()
    yield base


async def test_an_admin_adds_an_agent_who_then_logs_in(base: Settings, browser: Browser) -> None:
    url = f"http://127.0.0.1:{HTTP_PORT}"
    async with running_service(base), open_page(browser, url) as page:
        await page.goto("/signin")
        await page.fill("#job_number", ADMIN)
        await page.check("input[name=kind][value=password]")
        await page.fill("#secret", PASSWORD)
        await page.click("#signin-submit")
        await page.goto("/admin/agents")
        await expect(page.locator("#account-1001")).to_be_visible()

        await page.fill("#job_number", NEW)
        await page.fill("#name", "新坐席")
        await page.select_option("#role", "agent")
        await page.fill("#extension", "2006")
        await page.click("#create")  # no PIN, no queue: said at both fields, nothing saved
        await expect(page.locator("#error-pin")).to_be_visible()
        await expect(page.locator("#error-queues")).to_be_visible()
        await expect(page.locator(f"#account-{NEW}")).to_have_count(0)

        await page.check(f"#queues input[value='{base.queue}']")
        await page.fill("#pin", PIN)
        await page.click("#create")
        await expect(page.locator(f"#account-{NEW}")).to_contain_text("新坐席")
        await expect(page.locator("#notice")).to_be_visible()
        await screenshot(page, "admin-agents")
        await page.goto("/admin/phones")
        await expect(page.locator("#new-phone")).to_be_visible()
        await screenshot(page, "admin-phones")

        async with open_page(browser, url) as agent:  # cookies of its own
            await agent.goto("/signin")
            await agent.fill("#job_number", NEW)
            await agent.fill("#secret", PIN)
            await agent.click("#signin-submit")
            await expect(agent.locator("#state")).to_have_text("已签出")
