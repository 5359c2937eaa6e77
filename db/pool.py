"""The one asyncpg pool, with errors translated at the boundary.

A connection going back to the pool is reset in full (asyncpg's ``RESET ALL``, ``UNLISTEN
*``, ``pg_advisory_unlock_all()``, ``CLOSE ALL``: one more round trip and query for
PostgreSQL) only when its borrower said it kept session state there
(``keeps_session_state``: a session advisory lock, a LISTEN). Every other borrower runs
single statements and transactions, which leave nothing behind; asyncpg still rolls back
a transaction left open. Under load that halves the round trips of the service's writes
(every agent change and call record is one ``execute``).
"""

from __future__ import annotations

import asyncpg

from core.errors import ConfigError, DatabaseError
from core.settings import Settings, redact_url


async def connect(settings: Settings) -> asyncpg.Connection:
    """One connection, for commands such as ``db migrate``."""
    if not settings.database_url:
        raise ConfigError(
            "no database: set DATABASE_URL, or run `hotline sandbox up` for the sandbox's own"
        )
    try:
        return await asyncpg.connect(settings.database_url, timeout=10)
    except (OSError, asyncpg.PostgresError) as exc:
        raise DatabaseError(
            f"cannot connect to {redact_url(settings.database_url)}: {exc}"
        ) from exc


class PoolConnection(asyncpg.Connection):
    """A connection of the pool: it remembers whether its borrower kept session state."""

    _keeps_session_state = False

    def keeps_session_state(self) -> None:
        """Say so before taking anything that outlives a statement on this connection
        (a session advisory lock, a LISTEN): it is then reset in full when released,
        whatever happened in between (a cancel before the unlock, say)."""
        self._keeps_session_state = True


async def _reset(conn: asyncpg.Connection) -> None:
    if isinstance(conn, PoolConnection) and conn._keeps_session_state:
        await conn.execute(conn.get_reset_query())
        conn._keeps_session_state = False


async def open_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    """The pool as the service has it (the tests' pools are made here too)."""
    pool = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        command_timeout=30,
        server_settings={"application_name": "hotline"},
        connection_class=PoolConnection,
        reset=_reset,
    )
    assert pool is not None
    return pool


async def create_pool(settings: Settings, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    if not settings.database_url:
        raise ConfigError(
            "no database: set DATABASE_URL, or run `hotline sandbox up` for the sandbox's own"
        )
    try:
        return await open_pool(settings.database_url, min_size=min_size, max_size=max_size)
    except (OSError, asyncpg.PostgresError) as exc:
        raise DatabaseError(
            f"cannot connect to {redact_url(settings.database_url)}: {exc}"
        ) from exc
