"""The admin's dial-plan editor in a real browser, against the real service, PostgreSQL
and Asterisk: an admin changes a menu key's target (first to a node that does not
exist: the error shows at the node; then to hang-up, removing the menu no caller
reaches any more), publishes, and a SIPp caller pressing that key then goes where the
page said. Screenshots of the admin_plans pages, in Chinese.

Reuses ``tests/e2e/test_dialplan_admin.py``'s ``admin`` fixture: the service on a fresh
database with an admin, the plan's silent prompts, the plans folder put back after; the
plan is ``tests/dialplan_examples.py``'s."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from asterisk_conf.sandbox.sipp import Sipp
from core.settings import Settings
from tests.browser.conftest import open_page, screenshot
from tests.dialplan_examples import plan_json
from tests.e2e.agents import keyed_call
from tests.e2e.conftest import EventLog, observer, service_ami  # noqa: F401
from tests.e2e.test_dialplan_admin import (  # noqa: F401
    ADMIN,
    HTTP_PORT,
    PASSWORD,
    AdminApi,
    admin,
)
from tests.e2e.test_dialplan_publish import path_of


async def test_an_admin_changes_a_menu_key_publishes_and_a_call_follows_it(
    admin: AdminApi,  # noqa: F811
    browser: Browser,
    settings: Settings,
    sipp: Sipp,
    observer: EventLog,  # noqa: F811
) -> None:
    first = await admin.publish(await admin.draft(plan_json(settings)))
    async with open_page(browser, f"http://127.0.0.1:{HTTP_PORT}") as page:
        await page.goto("/signin")
        await page.fill("#job_number", ADMIN)
        await page.check("input[name=kind][value=password]")
        await page.fill("#secret", PASSWORD)
        await page.click("#signin-submit")
        await page.goto("/admin/dialplan")
        await page.fill("#new-name", "改菜单")
        await page.click("#do-new-draft")  # from the live version
        await expect(page.locator("#tree .row").first).to_have_attribute("data-node", "lang")

        # key 3 of the main menu to a node that does not exist: the error, at the node
        choices = page.locator("#f-main-choices")
        await choices.fill("1=agents\n2=dept\n3=nowhere")
        await page.click("#save-main")
        main = page.locator("#node-main")
        await expect(main.locator('[data-code="dangling_node"]')).to_be_visible()
        await page.click("#do-publish")
        await expect(page.locator("#error-publish-")).to_have_attribute(
            "data-code", "dialplan.problems"
        )
        await screenshot(page, "admin-dialplan-error")

        # key 3 now hangs up at once: the second menu, which no caller reaches any more,
        # is an error at its node until it is removed; the simulation says so, publish
        await page.locator("#f-main-choices").fill("1=agents\n2=dept\n3=bye")
        await page.click("#save-main")
        await expect(main.locator(".problem.error")).to_have_count(0)
        sub = page.locator("#node-sub")
        await expect(sub.locator('[data-code="unreachable_node"]')).to_be_visible()
        await page.click("#remove-sub")
        await expect(sub).to_have_count(0)
        await expect(page.locator(".problem.error")).to_have_count(0)
        await page.fill("#sim-keys", "13")
        await page.click("#do-simulate")
        await expect(page.locator("#walk")).to_have_attribute("data-node", "bye")
        await screenshot(page, "admin-dialplan")
        await page.click("#do-publish")
        live = page.locator('#history .version[data-state="live"]')
        await expect(live).to_have_attribute("data-version", str(first + 1))

        result = await keyed_call(sipp, settings, "13900910041", "13", timeout_s=30)
        assert result.ok, result.output[-2000:]
        version = str(first + 1)
        assert path_of(observer, "13900910041") == [
            (version, "lang", "zh"),
            (version, "set_zh", "zh"),
            (version, "hours", "zh"),
            (version, "main", "zh"),
            (version, "bye", "zh"),
        ]

        for name in ("prompts", "schedule", "categories"):
            await page.goto(f"/admin/{name}")
            await expect(page.locator("h1")).to_be_visible()
            await screenshot(page, f"admin-{name}")
