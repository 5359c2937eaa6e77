"""The agent console in a real browser, against the real service, PostgreSQL and
Asterisk (the console's 签入 adds the agent to Asterisk's queue; a SIPp desk phone is
registered so the agent's phone is reachable): an agent logs in, 签入, 置忙 with a
reason, 示闲, and the page shows each state — and a change made elsewhere arrives live
(server-sent events), without a reload. Screenshots of each page, in Chinese."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, expect

from agent_state.model import GoBusy, Source
from asterisk_conf.sandbox.sandbox import Sandbox
from asterisk_conf.sandbox.sipp import Sipp
from core.settings import Settings
from tests.browser.conftest import open_page, screenshot
from tests.e2e.agents import PIN, make_roster, me, phones, running_service, service_settings

HTTP_PORT = 18120
JOB = "1001"


@pytest.fixture
async def base(settings: Settings, sandbox: Sandbox, fresh_db: str) -> AsyncIterator[Settings]:
    yield service_settings(
        settings,
        sandbox,
        fresh_db,
        HTTP_PORT,
        sse_keepalive_s=1.0,
    )


async def test_an_agent_works_its_state_on_the_console(
    base: Settings, browser: Browser, sipp: Sipp, secrets: dict
) -> None:
    await make_roster(base.database_url, {JOB: 0})
    async with (
        phones(sipp, secrets, [JOB]),
        running_service(base) as service,
        open_page(browser, f"http://127.0.0.1:{HTTP_PORT}") as page,
    ):
        await page.goto("/signin")
        await screenshot(page, "signin")
        await page.fill("#job_number", JOB)
        await page.fill("#secret", PIN)
        await page.click("#signin-submit")
        state = page.locator("#state")
        await expect(state).to_have_text("已签出")
        await screenshot(page, "agent-signed-out")

        await page.fill("#pin", PIN)
        await page.click("#do-sign_in")
        await expect(state).to_have_text("示闲")
        await page.select_option("#reason", "break")
        await page.click("#do-busy")
        await expect(state).to_have_text("置忙(休息)")
        await expect(page.locator("#duration")).to_have_text(re.compile(r"00:0[1-9]"))  # ticks
        await screenshot(page, "agent-busy")
        await page.click("#do-idle")
        await expect(state).to_have_text("示闲")
        await screenshot(page, "agent-idle")

        # a change made elsewhere (the desk phone's *22) reaches the open page live
        await page.evaluate("window.notReloaded = true")
        assert service.agents is not None
        await service.agents.request(me(JOB), JOB, GoBusy(source=Source.PHONE))
        await expect(state).to_have_text("置忙(手动)")
        assert await page.evaluate("window.notReloaded === true")

        await page.click("#do-sign_out")
        await expect(state).to_have_text("已签出")
        await page.click("#log-out")
        await expect(page).to_have_url(f"http://127.0.0.1:{HTTP_PORT}/signin")
