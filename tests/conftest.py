"""Fixtures shared by every tier."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from asterisk_conf.sandbox import throwaway
from asterisk_conf.sandbox.sandbox import SHORT_GREETING, Sandbox
from core.settings import Settings, load_settings
from db.migrate import migrate
from dialplan.default_plan import ALWAYS

NO_SCHEDULE_TICK_S = 86_400.0
NO_SPOOL = "/var/spool/hotline-tests-no-voicemail"  # no box there: nothing to take in
# tiers on the one sandbox Asterisk (calls, agents shared): every test there runs alone
ALONE_TIERS = (Path(__file__).parent / "e2e", Path(__file__).parent / "browser")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every end-to-end and browser test runs alone: one Asterisk, calls and agents shared."""
    for item in items:
        if any(item.path.is_relative_to(tier) for tier in ALONE_TIERS):
            item.add_marker(pytest.mark.alone)


@pytest.fixture(scope="session")
def settings() -> Settings:
    """The environment's settings, with the clock out of the way: the seeded 13:30 /
    19:30 sign-outs (R2c) would otherwise fire in whichever test runs then (the
    schedule's own test calls its check directly), and the default plan's working hours
    would send callers to the after-hours message at night (the time switch has tests of
    its own, with a calendar and a clock they choose); no callbacks dispatched;
    passwords hashed cheaply; and the default plan greets with the sandbox's 2 s
    stand-in, not the ~10 s greeting every call would sit through (one test,
    ``tests/e2e/test_call_path.py``, hears the real one in full)."""
    return dataclasses.replace(
        load_settings(os.environ),
        schedule_tick_s=NO_SCHEDULE_TICK_S,
        working_hours=ALWAYS,
        greeting_prompt=SHORT_GREETING,
        # nobody is called back but in the callback tests, which turn it on: a callback
        # left by one test (or a message in the sandbox's spool) would take the idle
        # agent another test is waiting for
        callback_dispatch=False,
        # and no voicemail taken in from the sandbox's spool at each start (the messages
        # every run leaves there), but in the callback intake tests
        voicemail_spool_dir=NO_SPOOL,
        # argon2 at a test's cost (the production default takes ~0.2 s and 64 MiB a hash)
        password_time_cost=1,
        password_memory_kib=1024,
        password_parallelism=1,
    )


@pytest.fixture(scope="session")
def sandbox(settings: Settings) -> Sandbox:
    """The real sandbox (Asterisk 22 + PostgreSQL), brought up once per run."""
    if os.geteuid() != 0:
        pytest.fail("these tests need root for the sandbox: run the README's test command")
    box = Sandbox(settings)
    box.up()
    return box


@pytest.fixture(scope="session")
def database_url(sandbox: Sandbox) -> str:
    return sandbox.database_url(sandbox.ensure_secrets())


@pytest.fixture(scope="session")
async def migrated_template(database_url: str) -> AsyncIterator[str]:
    """A database migrated once per run, the template every ``fresh_db`` is copied from
    (a copy takes about as long as an empty CREATE DATABASE; the migrations run once, not
    once per test); its name. Nobody connects to it after the migration: PostgreSQL
    copies a template only while no session is in it."""
    name = f"hotline_template_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(_url_of(database_url, name))
    try:
        await migrate(conn)
    finally:
        await conn.close()
    yield name
    admin = await asyncpg.connect(database_url)
    try:
        await _drop(admin, name)
    finally:
        await admin.close()


@pytest.fixture
async def fresh_db(database_url: str, migrated_template: str) -> AsyncIterator[str]:
    """A database of its own for one test, migrated to the latest schema (a copy of the
    run's template: a test's own ``migrate`` finds nothing to do), dropped afterwards;
    yields its URL."""
    async with _database(database_url, template=migrated_template) as url:
        yield url


@pytest.fixture
async def empty_db(database_url: str) -> AsyncIterator[str]:
    """A database of its own with nothing in it (the migrations' own tests), dropped
    afterwards; yields its URL."""
    async with _database(database_url) as url:
        yield url


def _url_of(database_url: str, name: str) -> str:
    return database_url.rsplit("/", 1)[0] + "/" + name


@contextlib.asynccontextmanager
async def _database(database_url: str, template: str | None = None) -> AsyncIterator[str]:
    """A new database (a copy of ``template``, or empty), dropped at the end. The drop
    opens a connection of its own: a test may have restarted the server meanwhile."""
    name = throwaway.for_tests()
    copy = f' TEMPLATE "{template}"' if template else ""
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"{copy}')
    finally:
        await admin.close()
    yield _url_of(database_url, name)
    admin = await asyncpg.connect(database_url)
    try:
        await _drop(admin, name)
    finally:
        await admin.close()


async def _drop(admin: asyncpg.Connection, name: str) -> None:
    """``DROP … WITH (FORCE)`` is refused while a session of another role (a PostgreSQL
    background worker, say) is still in the database: try again for a few seconds."""
    for _ in range(50):
        try:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            return
        except asyncpg.InsufficientPrivilegeError:
            await asyncio.sleep(0.1)
    await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
