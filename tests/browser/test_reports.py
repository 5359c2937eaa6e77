"""The day's report matches the calls that were made: three real SIPp calls through the
greeting into the queue — two answered on two agents' desk phones, one given up while
it waited (both agents were busy) — then a supervisor's browser counts them on
``/reports`` (answered, abandoned, per agent) and in the CSV it links to. Screenshot
``reports``, in Chinese."""

from __future__ import annotations

import asyncio
import csv
import io
import random
from collections.abc import AsyncIterator

import asyncpg
import pytest
from playwright.async_api import Browser, expect

from agent_state.model import Source
from asterisk_conf.sandbox.sandbox import Sandbox
from asterisk_conf.sandbox.sipp import Sipp
from core.actor import Role
from core.settings import Settings
from tests.browser.conftest import open_page, screenshot
from tests.browser.sessions import add_staff, log_in_as
from tests.e2e.agents import PIN, make_roster, phones, running_service, service_settings

HTTP_PORT = 18131
JOBS = ["1001", "1002"]


@pytest.fixture
async def base(settings: Settings, sandbox: Sandbox, fresh_db: str) -> AsyncIterator[Settings]:
    yield service_settings(settings, sandbox, fresh_db, HTTP_PORT)


async def calls_ended(database_url: str, n: int, timeout: float = 15) -> None:
    """Until ``n`` calls are on record, ended (the recorder writes at the hang-up)."""
    conn = await asyncpg.connect(database_url)
    try:
        async with asyncio.timeout(timeout):
            while True:
                ended = await conn.fetchval("SELECT count(*) FROM calls WHERE ended_at IS NOT NULL")
                if ended >= n:
                    return
                await asyncio.sleep(0.1)
    finally:
        await conn.close()


async def test_the_days_report_counts_the_calls_that_were_made(
    base: Settings, browser: Browser, sipp: Sipp, secrets: dict
) -> None:
    await make_roster(base.database_url, dict.fromkeys(JOBS, 0))
    await add_staff(base.database_url)
    callers = ["139" + str(random.randrange(10**8)).zfill(8) for _ in range(3)]
    url = f"http://127.0.0.1:{HTTP_PORT}"
    async with (
        phones(sipp, secrets, JOBS, ring_ms=300, calls=1),
        running_service(base) as service,
        open_page(browser, url) as page,
    ):
        assert service.agents is not None
        for job in JOBS:
            await service.agents.sign_in(job, PIN, source=Source.WEB)
        # one SIPp, a caller every 0.5 s, each hanging up 14 s after the greeting began:
        # the first two are answered (~10.5 s) and talk; the third waits, then gives up
        result = await sipp.calls(
            base.entry_number, callers, every_ms=500, talk_ms=14_000, timeout_s=60
        )
        assert result.ok and result.successful == 3, result.output[-1500:]
        await calls_ended(base.database_url, 3)

        await log_in_as(page, url, base.database_url, Role.SUPERVISOR)
        await page.goto("/reports")
        day = page.locator("#by-day td")
        await expect(day.and_(page.locator('[data-figure="calls"]'))).to_have_text("3")
        await expect(day.and_(page.locator('[data-figure="answered"]'))).to_have_text("2")
        await expect(day.and_(page.locator('[data-figure="abandoned_queue"]'))).to_have_text("1")
        for job in JOBS:
            mine = page.locator(f'#by-agent td[data-key="{job}"][data-figure="answered"]')
            await expect(mine).to_have_text("1")
        await screenshot(page, "reports")

        href = await page.locator("#csv-agent").get_attribute("href")
        assert href is not None
        response = await page.request.get(href)
        assert response.ok and (await response.body()).startswith("\ufeff".encode())
        table = list(csv.reader(io.StringIO((await response.text()).lstrip("\ufeff"))))
        header, rows = table[0], {row[0]: row for row in table[1:]}
        answered, gave_up = header.index("人工接通"), header.index("排队放弃")
        assert {job: rows[job][answered] for job in JOBS} == {"1001": "1", "1002": "1"}
        assert rows["(无)"][gave_up] == "1"  # no agent: the caller who gave up
