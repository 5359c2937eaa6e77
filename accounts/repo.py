"""Accounts and their audit in PostgreSQL; the SQL is in ``queries.sql``.

Each change and its audit row are written in one transaction: no change without its
audit, no audit of a change that did not happen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from accounts.model import Account
from core.actor import Role
from db.sql import load_queries

Q = load_queries("accounts")


def _account(r: Any) -> Account:
    return Account(
        job_number=r["job_number"],
        name=r["name"],
        role=Role(r["role"]),
        extension=r["extension"],
        pin_hash=r["pin_hash"],
        password_hash=r["password_hash"],
        queues=tuple(zip(r["queues"], r["penalties"], strict=True)),
        disabled=r["disabled"],
    )


async def accounts(conn: Any) -> list[Account]:
    return [_account(r) for r in await conn.fetch(Q["accounts"], None)]


async def account(conn: Any, job_number: str) -> Account | None:
    rows = await conn.fetch(Q["accounts"], job_number)
    return _account(rows[0]) if rows else None


async def extension_holder(conn: Any, extension: str, job_number: str) -> str | None:
    """Whose desk phone ``extension`` is, other than ``job_number``'s."""
    value = await conn.fetchval(Q["extension_holder"], extension, job_number)
    return str(value) if value is not None else None


@dataclass(frozen=True)
class Audit:
    """One change: who (a job number, or the command line), when, what, and the facts
    that are not secret (``detail``)."""

    at: datetime
    actor: str
    what: str
    detail: dict[str, Any]


async def _audit(conn: Any, job_number: str, audit: Audit) -> None:
    detail = json.dumps(audit.detail, ensure_ascii=False)
    await conn.execute(Q["audit"], audit.at, audit.actor, job_number, audit.what, detail)


async def _store(conn: Any, account: Account, *, new: bool) -> None:
    values = (
        account.job_number,
        account.name,
        account.role.value,
        account.extension,
        account.pin_hash,
        account.password_hash,
    )
    await conn.execute(Q["insert_account" if new else "update_account"], *values)
    await conn.execute(Q["clear_queues"], account.job_number)
    for queue, penalty in account.queues:
        await conn.execute(Q["add_queue"], account.job_number, queue, penalty)


async def save(pool: Any, account: Account, audit: Audit, *, new: bool) -> None:
    """Create or replace ``account`` (its queues too) with its audit row.
    ``asyncpg.UniqueViolationError`` when the job number or extension is taken."""
    async with pool.acquire() as conn, conn.transaction():
        await _store(conn, account, new=new)
        await _audit(conn, account.job_number, audit)


async def set_disabled(pool: Any, job_number: str, disabled: bool, audit: Audit) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(Q["set_disabled"], job_number, disabled, audit.at)
        await _audit(conn, job_number, audit)


async def delete(pool: Any, job_number: str, audit: Audit) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(Q["delete_account"], job_number)
        await _audit(conn, job_number, audit)


async def rehash_password(pool: Any, job_number: str, old: str, new: str, audit: Audit) -> bool:
    """Store a re-made hash unless the password changed meanwhile; whether it was stored."""
    async with pool.acquire() as conn, conn.transaction():
        status = await conn.execute(Q["rehash_password"], job_number, old, new)
        stored = bool(status == "UPDATE 1")
        if stored:
            await _audit(conn, job_number, audit)
        return stored


async def audit_of(conn: Any, job_number: str, limit: int) -> list[Audit]:
    rows = await conn.fetch(Q["audit_of_account"], job_number, limit)
    return [Audit(r["at"], r["actor"], r["what"], json.loads(r["detail"])) for r in rows]


DUPLICATE = asyncpg.UniqueViolationError
