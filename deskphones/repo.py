"""Desk phones and their audit in PostgreSQL; the SQL is in ``queries.sql``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from db.sql import load_queries
from deskphones.model import DeskPhone

Q = load_queries("deskphones")
DUPLICATE = asyncpg.UniqueViolationError


def _phone(r: Any) -> DeskPhone:
    return DeskPhone(r["extension"], r["realm"], r["digest"], r["active"])


async def lock(conn: Any) -> None:
    """Serialise changes until the transaction ends (the reload included)."""
    await conn.execute(Q["lock"])


async def phones(conn: Any) -> list[DeskPhone]:
    return [_phone(r) for r in await conn.fetch(Q["phones"])]


async def phone(conn: Any, extension: str) -> DeskPhone | None:
    row = await conn.fetchrow(Q["phone"], extension)
    return _phone(row) if row is not None else None


async def insert(conn: Any, phone: DeskPhone, at: datetime, actor: str) -> None:
    await conn.execute(Q["insert"], phone.extension, phone.realm, phone.digest, at, actor)
    await conn.execute(Q["audit"], at, actor, phone.extension, "added")


async def update(conn: Any, phone: DeskPhone, at: datetime, actor: str, what: str) -> None:
    values = (phone.extension, phone.realm, phone.digest, phone.active, at, actor)
    await conn.execute(Q["update"], *values)
    await conn.execute(Q["audit"], at, actor, phone.extension, what)
