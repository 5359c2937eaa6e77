"""The purges (SQL in retention/queries.sql)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from db.sql import load_queries
from retention.model import Table

Q = load_queries("retention")


async def purge(pool: Any, table: Table, before: datetime, limit: int) -> int:
    """One batch of ``table``'s oldest rows from before ``before``; how many went (for
    CEL: calls)."""
    async with pool.acquire() as conn, conn.transaction():
        if table is not Table.CEL:
            await conn.execute("SET LOCAL hotline.purge = 'on'")
        gone: int = await conn.fetchval(Q[f"purge_{table.value}"], before, limit)
        return gone
