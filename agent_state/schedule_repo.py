"""R2c's sign-out schedule in PostgreSQL (SQL in ``queries.sql``)."""

from __future__ import annotations

from datetime import time
from typing import Any

from db.sql import load_queries

Q = load_queries("agent_state")

Entry = tuple[int, time, str]  # ISO weekday (1 = Monday), time of day, label


async def schedule(conn: Any) -> list[Entry]:
    return [(r["weekday"], r["at"], r["label"]) for r in await conn.fetch(Q["schedule"])]


async def replace_schedule(pool: Any, entries: list[Entry]) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(Q["clear_schedule"])
        for weekday, at, label in entries:
            await conn.execute(Q["add_schedule_entry"], weekday, at, label)
