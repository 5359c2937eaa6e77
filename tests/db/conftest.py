"""Fixtures of the PostgreSQL tier."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from db.migrate import migrate
from db.pool import open_pool


@pytest.fixture
async def pool(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a database of the test's own, migrated to the latest schema."""
    conn = await asyncpg.connect(fresh_db)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    created = await open_pool(fresh_db, min_size=1, max_size=10)
    assert created is not None
    try:
        yield created
    finally:
        await created.close()
