"""Sign-in lockouts and their audit in PostgreSQL; the SQL is in ``queries.sql``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from db.sql import load_queries

Q = load_queries("agent_state")


async def locked_until(pool: Any, job_number: str, origin: str, now: datetime) -> datetime | None:
    value = await pool.fetchval(Q["sign_in_locked_until"], job_number, origin, now)
    return value if isinstance(value, datetime) else None


async def failed(
    pool: Any, job_number: str, origin: str, now: datetime, window_start: datetime
) -> int:
    """Record a wrong PIN; how many in the window since the last lock, lift or success."""
    return int(await pool.fetchval(Q["sign_in_failed"], job_number, origin, now, window_start))


async def lock(pool: Any, job_number: str, origin: str, now: datetime, until: datetime) -> None:
    await pool.execute(Q["sign_in_lock"], job_number, origin, now, until)  # one statement


async def succeeded(pool: Any, job_number: str, origin: str, now: datetime) -> None:
    await pool.execute(Q["sign_in_succeeded"], job_number, origin, now)


async def lift(pool: Any, job_number: str, now: datetime, actor: str) -> list[str]:
    """Lift every lock of ``job_number``; the origins whose lock was still in force."""
    rows = await pool.fetch(Q["sign_in_lift"], job_number, now, actor)
    return [r["origin"] for r in rows]
