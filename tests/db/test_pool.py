"""The pool's reset on release (db/pool.py) against a real PostgreSQL: a borrower that
kept session state leaves none behind; every other release costs no reset query."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from db.pool import open_pool
from dialplan import repo as dialplan_repo
from dialplan.repo import PUBLISH_LOCK


@pytest.fixture
async def one(fresh_db: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool of one connection: every borrow is the same session."""
    pool = await open_pool(fresh_db, min_size=1, max_size=1)
    try:
        yield pool
    finally:
        await pool.close()


async def test_a_session_lock_a_borrower_left_behind_is_released_with_the_connection(
    one: asyncpg.Pool, fresh_db: str
) -> None:
    async with one.acquire() as conn:
        conn.keeps_session_state()
        assert await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", *PUBLISH_LOCK)
        await conn.execute("LISTEN hotline_pool_test")
        # returned without unlocking or UNLISTEN: a cancel between lock and unlock does that
    other = await asyncpg.connect(fresh_db)
    try:
        assert await other.fetchval("SELECT pg_try_advisory_lock($1, $2)", *PUBLISH_LOCK)
    finally:
        await other.close()
    async with one.acquire() as conn:
        assert await conn.fetch("SELECT pg_listening_channels()") == []


async def test_an_ordinary_release_sends_no_reset_and_the_next_borrow_is_ordinary_again(
    one: asyncpg.Pool,
) -> None:
    """No ``RESET ALL`` after a borrower that did not ask: a session setting survives it
    (that is why a borrower that keeps session state must say so). Once a full reset
    has run, the connection is ordinary again."""
    show = "SELECT current_setting('hotline.pool_test', true)"
    async with one.acquire() as conn:
        await conn.execute("SET hotline.pool_test = 'kept'")
    async with one.acquire() as conn:
        assert await conn.fetchval(show) == "kept"
        conn.keeps_session_state()
    async with one.acquire() as conn:
        assert await conn.fetchval(show) in ("", None)  # reset in full
        await conn.execute("SET hotline.pool_test = 'kept'")
    async with one.acquire() as conn:
        assert await conn.fetchval(show) == "kept"


async def test_a_publish_whose_unlock_failed_leaves_the_lock_free(
    one: asyncpg.Pool, fresh_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The publish lock's own unlock did not run (here: it failed); the connection's
    full reset on release unlocks it all the same, so the next publish is not refused."""
    failing = "SELECT 1 / (0 * $1::int4 * $2::int4)"  # division by zero
    monkeypatch.setitem(dialplan_repo.Q, "publish_unlock", failing)
    with pytest.raises(asyncpg.DivisionByZeroError):
        async with dialplan_repo.publish_lock(one):
            pass
    other = await asyncpg.connect(fresh_db)
    try:
        assert await other.fetchval("SELECT pg_try_advisory_lock($1, $2)", *PUBLISH_LOCK)
    finally:
        await other.close()
