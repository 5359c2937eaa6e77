"""The console's call half in a real browser, against the real service, PostgreSQL and
Asterisk: an agent signs in on the console, a SIPp caller dials 12333 and the agent's
SIPp desk phone rings — the screen pop shows the caller's number, live — then answers
(and hangs up after a few seconds); the wrap-up form comes with its countdown, is
submitted with a category, then 示闲. Screenshots: ringing, on the call, wrap-up.
A supervisor's wallboard, open beside it, shows each change of the agent's as it
happens (bench/wallboard_latency.py measures how long that takes)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import asyncpg
import pytest
from playwright.async_api import Browser, expect

from asterisk_conf.sandbox.sandbox import Sandbox
from asterisk_conf.sandbox.sipp import Sipp
from core.actor import Role
from core.settings import Settings
from tests.browser.conftest import open_page, screenshot
from tests.browser.sessions import add_staff, log_in_as
from tests.e2e.agents import PIN, make_roster, phones, running_service, service_settings
from tests.e2e.test_call_records import eventually_async

HTTP_PORT = 18121
JOB = "1001"
CALLER = "13900139012"
RING_MS = 3000  # long enough to see the pop while it rings
TALK_MS = 12_000  # the desk phone hangs up this long after answering (past the R8 words)


@pytest.fixture
async def base(settings: Settings, sandbox: Sandbox, fresh_db: str) -> AsyncIterator[Settings]:
    yield service_settings(settings, sandbox, fresh_db, HTTP_PORT, sse_keepalive_s=1.0)


async def test_a_call_pops_up_and_is_wrapped_up_on_the_console(
    base: Settings, browser: Browser, sipp: Sipp, secrets: dict
) -> None:
    await make_roster(base.database_url, {JOB: 0})
    await add_staff(base.database_url)
    db = await asyncpg.connect(base.database_url)
    url = f"http://127.0.0.1:{HTTP_PORT}"
    async with (
        phones(sipp, secrets, [JOB], ring_ms=RING_MS, hang_up_after_ms=TALK_MS),
        running_service(base),
        open_page(browser, url) as page,
        open_page(browser, url) as board,
    ):
        await log_in_as(board, url, base.database_url, Role.SUPERVISOR)
        await board.goto("/wallboard")
        on_board = board.locator(f"#agent-{JOB}")
        await expect(on_board).to_have_attribute("data-state", "logged_out")
        await page.goto("/signin")
        await page.fill("#job_number", JOB)
        await page.fill("#secret", PIN)
        await page.click("#signin-submit")
        await page.fill("#pin", PIN)
        await page.click("#do-sign_in")
        state = page.locator("#state")
        await expect(state).to_have_text("示闲")
        await expect(on_board).to_have_attribute("data-state", "idle")

        call = asyncio.create_task(
            sipp.call(
                base.entry_number,
                caller=CALLER,
                until_far_end_hangs_up=True,
                trunk_port=base.trunk_port,
                timeout_s=90,
            )
        )
        try:
            await expect(state).to_have_text("振铃", timeout=40_000)
            await expect(page.locator("#pop-number")).to_have_text(CALLER)
            await screenshot(page, "agent-ringing")
            await expect(on_board).to_have_attribute("data-state", "ringing")
            await expect(state).to_have_text("通话中", timeout=10_000)
            await expect(page.locator("#pop-number")).to_have_text(CALLER)
            await screenshot(page, "agent-on-call")
            await expect(on_board).to_have_attribute("data-state", "on_call")

            await expect(page.locator("#wrap-up")).to_be_visible(timeout=TALK_MS + 10_000)
            await expect(state).to_have_text("话后处理")
            await expect(on_board).to_have_attribute("data-state", "wrap_up")
            await expect(page.locator("#wrap-up-left")).to_have_text(re.compile(r"^[12]?\d$"))
            await page.select_option("#category", "养老保险")
            await page.fill("#summary", "咨询养老金领取条件")
            await screenshot(page, "agent-wrap-up")
            # the recorder writes the call as it ends; the form files that row
            assert await eventually_async(
                lambda: db.fetchval("SELECT agent_job_number FROM calls"), JOB, 10
            )
            await page.click("#wrap-up-idle")
            await expect(state).to_have_text("示闲")
            await expect(on_board).to_have_attribute("data-state", "idle")
            await screenshot(board, "wallboard-after-a-call")
            await expect(page.locator("#wrap-up")).to_be_hidden()
            await expect(page.locator("#pop")).to_be_hidden()
            row = await db.fetchrow("SELECT caller_number, category, summary FROM calls")
            assert tuple(row) == (CALLER, "养老保险", "咨询养老金领取条件")
        finally:
            await asyncio.wait_for(call, 60)
            await db.close()
