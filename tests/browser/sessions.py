"""Logged-in browser contexts without the log-in form: a supervisor and an admin beside
the roster, and a page session's cookie put into the browser (the form itself has its own
test: test_agent_console.py)."""

from __future__ import annotations

import asyncpg
from playwright.async_api import Page

from core.actor import Actor, Role
from pages import guard
from web.sessions import Sessions

SUPERVISOR, ADMIN = "1009", "1099"
# who opens a page a row of PAGE_ROLES lets in, per role
JOB_OF = {Role.AGENT: "1001", Role.SUPERVISOR: SUPERVISOR, Role.ADMIN: ADMIN}


async def add_staff(database_url: str) -> None:
    """A supervisor and an admin account (passwords no test types: sessions are made)."""
    conn = await asyncpg.connect(database_url)
    try:
        for job, role in ((SUPERVISOR, "supervisor"), (ADMIN, "admin")):
            await conn.execute(
                "INSERT INTO agents (job_number, name, role, password_hash)"
                " VALUES ($1, $2, $3, 'not a hash: nobody types it')",
                job,
                f"{role}{job}",
                role,
            )
    finally:
        await conn.close()


async def log_in_as(page: Page, base_url: str, database_url: str, role: Role) -> None:
    """The browser holds a page session of ``role`` (its job number: ``JOB_OF``)."""
    conn = await asyncpg.connect(database_url)
    try:
        token = await Sessions(conn).create(Actor(JOB_OF[role], role))
    finally:
        await conn.close()
    await page.context.clear_cookies()
    cookie = {"name": guard.SESSION_COOKIE, "value": token, "url": base_url}
    await page.context.add_cookies([cookie])  # type: ignore[list-item]
