"""Fixtures shared by every tier."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from asterisk_conf.sandbox.sandbox import Sandbox
from core.settings import Settings, load_settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings(os.environ)


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


@pytest.fixture
async def fresh_db(database_url: str) -> AsyncIterator[str]:
    """A database of its own for one test, dropped afterwards; yields its URL."""
    name = f"hotline_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(database_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield database_url.rsplit("/", 1)[0] + "/" + name
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()
