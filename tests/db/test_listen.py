"""LISTEN with a held connection (db/listen.py) against a real PostgreSQL: a NOTIFY
wakes the listener, and a connection the server cut ends it so the caller listens again."""

from __future__ import annotations

import asyncio

import asyncpg

from callback.repo import CHANNEL
from db.listen import listen
from db.pool import open_pool


async def test_a_notify_wakes_and_a_cut_connection_ends_the_listen(fresh_db: str) -> None:
    pool = await open_pool(fresh_db, min_size=1, max_size=2)
    other = await asyncpg.connect(fresh_db)
    woken = asyncio.Queue[None]()
    listening = asyncio.create_task(listen(pool, CHANNEL, lambda: woken.put_nowait(None)))
    try:
        await asyncio.wait_for(woken.get(), 5)  # it looks once as it starts
        await other.execute(f"NOTIFY {CHANNEL}")
        await asyncio.wait_for(woken.get(), 5)
        await other.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"
            " AND datname = current_database()"  # only this test's: others may run alongside
        )
        await asyncio.wait_for(listening, 5)  # returns: the caller listens again
    finally:
        listening.cancel()  # a failed test must not leave the pool waiting for it
        await asyncio.gather(listening, return_exceptions=True)
        await other.close()
        await pool.close()
