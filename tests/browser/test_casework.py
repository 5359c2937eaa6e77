"""Case work in a real browser: the admin adds a department (a bad number shown at its
field first); the agent's console shows the escalate and transfer section with it, an
escalation with no call is refused at the form; my callbacks shows the R12 script and
takes an outcome. Screenshots, in Chinese: ``admin-departments``,
``casework-escalate``, ``casework-my-callbacks``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest
from playwright.async_api import Browser, expect

from accounts.passwords import PasswordCost, Passwords
from asterisk_conf.sandbox.sandbox import Sandbox
from callback import repo as callback_repo
from callback.model import Kind, Reason, Request
from core.settings import Settings
from tests.browser.conftest import open_page, screenshot
from tests.e2e.agents import PIN, make_roster, running_service, service_settings

HTTP_PORT = 18124
JOB, ADMIN, PASSWORD = "1001", "1099", "browser admin passphrase"
AT = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


@pytest.fixture
async def base(settings: Settings, sandbox: Sandbox, fresh_db: str) -> AsyncIterator[Settings]:
    yield service_settings(settings, sandbox, fresh_db, HTTP_PORT)


async def _seed(base: Settings) -> None:
    await make_roster(base.database_url, {JOB: 0})
    conn = await asyncpg.connect(base.database_url)
    try:
        await conn.execute(
            "INSERT INTO agents (job_number, name, role, password_hash)"
            " VALUES ($1, '管理员', 'admin', $2)",
            ADMIN,
            Passwords(PasswordCost.of(base)).hash(PASSWORD),
        )
        visit = Request(
            Kind.RETURN_VISIT, "13800000001", Reason(Kind.RETURN_VISIT, AT), AT, AT, owner=JOB
        )
        opened = await callback_repo.open_callback(conn, visit, AT)
        await conn.execute(  # the citizen reached: its outcome is due
            "UPDATE callbacks SET state = 'in_progress', agent = $1 WHERE id = $2",
            JOB,
            opened.callback.id,
        )
    finally:
        await conn.close()


async def test_departments_escalate_and_my_callbacks(base: Settings, browser: Browser) -> None:
    await _seed(base)
    async with (
        running_service(base),
        open_page(browser, f"http://127.0.0.1:{HTTP_PORT}") as page,
    ):
        await page.goto("/signin")
        await page.fill("#job_number", ADMIN)
        await page.check("input[value=password]")
        await page.fill("#secret", PASSWORD)
        await page.click("#signin-submit")
        await page.goto("/admin/departments")
        await page.fill("#new-name", "社保科")
        await page.fill("#new-number", "8888-1234")
        await page.click("#do-add-department")
        await expect(page.locator("#error-new-number")).to_be_visible()
        await page.fill("#new-number", "88881234")
        await page.click("#do-add-department")
        await expect(page.locator("#departments input[name=name]")).to_have_value("社保科")
        await screenshot(page, "admin-departments")
        await page.click("#log-out")

        await page.fill("#job_number", JOB)
        await page.check("input[value=pin]")
        await page.fill("#secret", PIN)
        await page.click("#signin-submit")
        await expect(page.locator("#escalate-form")).to_be_visible()
        await expect(page.locator("#cw-transfer")).to_contain_text("社保科")
        await page.fill("#cw-question", "退休金何时到账?")
        await page.select_option("#cw-category", "养老保险")
        await page.click("#do-escalate")
        await expect(page.locator("#error-call")).to_be_visible()  # no call answered yet
        await screenshot(page, "casework-escalate")

        await page.goto("/agent/callbacks")
        await expect(page.locator("#script")).to_contain_text(f"我是{JOB}号咨询员")
        await screenshot(page, "casework-my-callbacks")
        await page.select_option("select[name=outcome]", "resolved")
        await page.click("form.outcome button")
        await expect(page.locator("#no-callbacks")).to_be_visible()
