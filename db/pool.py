"""The one asyncpg pool, with errors translated at the boundary."""

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


async def create_pool(settings: Settings, *, min_size: int = 1, max_size: int = 10) -> asyncpg.Pool:
    if not settings.database_url:
        raise ConfigError(
            "no database: set DATABASE_URL, or run `hotline sandbox up` for the sandbox's own"
        )
    try:
        pool = await asyncpg.create_pool(
            settings.database_url,
            min_size=min_size,
            max_size=max_size,
            command_timeout=30,
            server_settings={"application_name": "hotline"},
        )
    except (OSError, asyncpg.PostgresError) as exc:
        raise DatabaseError(
            f"cannot connect to {redact_url(settings.database_url)}: {exc}"
        ) from exc
    assert pool is not None
    return pool
