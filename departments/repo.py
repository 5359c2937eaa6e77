"""Departments and transfers in PostgreSQL: the SQL lives in ``queries.sql``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from db.sql import load_queries
from departments.model import Department, Draft, NameTaken

Q = load_queries("departments")


def _department(row: Any) -> Department:
    return Department(row["id"], row["name"], row["number"], row["active"])


async def listing(conn: Any) -> list[Department]:
    return [_department(r) for r in await conn.fetch(Q["list_departments"])]


async def by_id(conn: Any, department_id: int) -> Department | None:
    row = await conn.fetchrow(Q["department_by_id"], department_id)
    return _department(row) if row else None


async def insert(conn: Any, draft: Draft) -> Department:
    try:
        return _department(await conn.fetchrow(Q["insert_department"], draft.name, draft.number))
    except asyncpg.UniqueViolationError:
        raise NameTaken(f"an active department is named {draft.name!r} already") from None


async def update(conn: Any, department_id: int, draft: Draft, active: bool) -> Department | None:
    try:
        row = await conn.fetchrow(
            Q["update_department"], department_id, draft.name, draft.number, active
        )
    except asyncpg.UniqueViolationError:
        raise NameTaken(f"an active department is named {draft.name!r} already") from None
    return _department(row) if row else None


async def record_transfer(
    conn: Any, linkedid: str, department: Department, agent: str, at: datetime
) -> None:
    await conn.execute(Q["insert_transfer"], linkedid, department.id, department.number, agent, at)


async def transfers_of_call(conn: Any, linkedid: str) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(Q["transfers_of_call"], linkedid)]
