"""Session-level advisory locks, each on a connection of its own (never the pool's).

A session-level lock lives as long as the connection that took it: PostgreSQL releases it
when that connection closes, which is what makes it a lease on "this process is alive".
Pool connections come and go, so a lock must never be taken on one.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from core.errors import ConfigError, DatabaseError
from core.settings import Settings, redact_url
from db.sql import load_queries

_Q = load_queries("db")

# PostgreSQL drops a lock connection whose peer went silent (network cut, host gone)
# after about idle + interval x count = 11 s, so a dead holder's lock does not linger
# for the kernel's default two hours.
_KEEPALIVES = {
    "tcp_keepalives_idle": "5",
    "tcp_keepalives_interval": "2",
    "tcp_keepalives_count": "3",
}


@dataclass(frozen=True)
class LockHolder:
    pid: int
    client_addr: str | None
    application_name: str


async def lock_connection(settings: Settings, *, application_name: str) -> asyncpg.Connection:
    if not settings.database_url:
        raise ConfigError("no database: set DATABASE_URL")
    try:
        return await asyncpg.connect(
            settings.database_url,
            timeout=5,
            server_settings={"application_name": application_name, **_KEEPALIVES},
        )
    except (OSError, asyncpg.PostgresError) as exc:
        raise DatabaseError(
            f"cannot connect to {redact_url(settings.database_url)}: {exc}"
        ) from exc


async def try_advisory_lock(conn: asyncpg.Connection, key: tuple[int, int]) -> bool:
    """Take the session-level lock ``key`` if it is free; never waits."""
    try:
        return bool(await conn.fetchval(_Q["try_advisory_lock"], *key, timeout=5))
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise DatabaseError(f"advisory lock {key}: {exc}") from exc


async def advisory_lock_holder(conn: asyncpg.Connection, key: tuple[int, int]) -> LockHolder | None:
    """Which session holds ``key`` in this database (for the log), if any."""
    try:
        row = await conn.fetchrow(_Q["advisory_lock_holder"], *key, timeout=5)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise DatabaseError(f"advisory lock {key}: {exc}") from exc
    if row is None:
        return None
    return LockHolder(row["pid"], row["client_addr"], row["application_name"])


async def alive(conn: asyncpg.Connection, *, timeout: float) -> bool:
    """Does the connection (and so any session lock on it) still answer?"""
    if conn.is_closed():
        return False
    try:
        await conn.fetchval(_Q["ping"], timeout=timeout)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return False
    return True
