"""Plain-SQL migrations, applied in order, each once, recorded in ``schema_migrations``.

Files are ``db/migrations/NNNN_name.sql``.  Each runs in its own transaction together
with its ``schema_migrations`` row, under an advisory lock, so two ``migrate`` runs at
once, or a run killed half-way, never leave a half-applied migration behind.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

from core.errors import MigrationError
from core.logging import get_logger

log = get_logger("db")

_FILE = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_LOCK_KEY = 1_233_300_001  # advisory lock: "12333, migrations"


@dataclass(frozen=True)
class Migration:
    version: str
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def bundled_migrations() -> list[Migration]:
    found = []
    for entry in resources.files("db").joinpath("migrations").iterdir():
        match = _FILE.match(entry.name)
        if match:
            found.append(Migration(match.group(1), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migrations share a number: {versions}")
    return found


async def migrate(conn: asyncpg.Connection, migrations: list[Migration] | None = None) -> list[str]:
    """Apply what is missing; return the names applied (empty when up to date)."""
    todo = bundled_migrations() if migrations is None else migrations
    applied: list[str] = []
    # the lock first: even CREATE TABLE IF NOT EXISTS races with itself
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["version"]: r for r in await conn.fetch("SELECT * FROM schema_migrations")}
        for migration in todo:
            if migration.version in done:
                if done[migration.version]["checksum"] != migration.checksum:
                    raise MigrationError(
                        f"{migration.name} changed after it was applied; "
                        "add a new migration instead"
                    )
                continue
            try:
                async with conn.transaction():
                    await conn.execute(migration.sql)
                    await conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum)"
                        " VALUES ($1, $2, $3)",
                        migration.version,
                        migration.name,
                        migration.checksum,
                    )
            except asyncpg.PostgresError as exc:
                raise MigrationError(f"{migration.name} failed: {exc}") from exc
            log.info("migration applied", migration=migration.name)
            applied.append(migration.name)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    return applied
