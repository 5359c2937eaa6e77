"""The supervisor's wallboard in a real browser, against the real service, PostgreSQL
and Asterisk: an agent's change made elsewhere (the service, as a desk phone's *22
would) appears on the open board live, without a reload; the supervisor forces the
agent busy from the board. A screenshot of the board, in Chinese."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, expect

from agent_state.model import BusyReason, GoBusy, Source
from asterisk_conf.sandbox.sandbox import Sandbox
from asterisk_conf.sandbox.sipp import Sipp
from core.actor import Actor, Role
from core.settings import Settings
from db.pool import open_pool
from pages import guard
from tests.browser.conftest import open_page, screenshot
from tests.e2e.agents import PIN, make_roster, me, phones, running_service, service_settings
from web.sessions import Sessions

HTTP_PORT = 18121
JOB, SUPERVISOR = "1001", "1009"
BASE = f"http://127.0.0.1:{HTTP_PORT}"


@pytest.fixture
async def base(settings: Settings, sandbox: Sandbox, fresh_db: str) -> AsyncIterator[Settings]:
    yield service_settings(settings, sandbox, fresh_db, HTTP_PORT, sse_keepalive_s=1.0)


async def supervisor_cookie(database_url: str) -> str:
    pool = await open_pool(database_url, min_size=1, max_size=1)
    try:
        await pool.execute(
            "UPDATE agents SET role = 'supervisor' WHERE job_number = $1", SUPERVISOR
        )
        return await Sessions(pool).create(Actor(SUPERVISOR, Role.SUPERVISOR))
    finally:
        await pool.close()


async def test_the_board_shows_a_change_live_and_forces_an_agent_busy(
    base: Settings, browser: Browser, sipp: Sipp, secrets: dict
) -> None:
    await make_roster(base.database_url, {JOB: 0, SUPERVISOR: 0})
    token = await supervisor_cookie(base.database_url)
    async with (
        phones(sipp, secrets, [JOB]),
        running_service(base) as service,
        open_page(browser, BASE) as page,
    ):
        assert service.agents is not None
        await service.agents.sign_in(JOB, PIN, source=Source.WEB, origin="127.0.0.1")
        await page.context.add_cookies(
            [{"name": guard.SESSION_COOKIE, "value": token, "url": BASE}]
        )
        await page.goto("/wallboard")
        state = page.locator(f"#agent-{JOB} .state")
        await expect(state).to_have_text("示闲")
        await expect(page.locator("#live")).to_have_text("实时")  # the stream is open
        # nothing to force on an agent signed out
        await expect(page.locator(f"#agent-{SUPERVISOR} .do-force_busy")).to_be_hidden()
        await screenshot(page, "wallboard")

        # a change made elsewhere reaches the open board live
        await page.evaluate("window.notReloaded = true")
        await service.agents.request(
            me(JOB), JOB, GoBusy(source=Source.PHONE, reason=BusyReason.BREAK)
        )
        await expect(state).to_have_text("置忙(休息)")
        assert await page.evaluate("window.notReloaded === true")

        # the supervisor forces the agent busy from the board
        await page.click(f"#agent-{JOB} .do-force_busy")
        await expect(state).to_have_text("置忙(班长置忙)")
        await expect(state).to_have_attribute("data-forced", "true")
        await screenshot(page, "wallboard-forced-busy")
        await page.click(f"#agent-{JOB} .do-sign_out")
        await expect(state).to_have_text("已签出")
