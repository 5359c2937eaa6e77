"""The role Asterisk writes its CEL as (the sandbox makes it as production should)."""

from __future__ import annotations

import asyncpg


async def test_cel_commits_do_not_wait_for_the_wal_flush(database_url: str) -> None:
    """cel_pgsql commits every row on its own in Asterisk's one CEL thread; waiting for
    each WAL flush made that thread Asterisk's first limit under load (README
    "Capacity"), so the role's sessions commit asynchronously."""
    conn = await asyncpg.connect(database_url)
    try:
        settings = await conn.fetchval(
            "SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole"
            " WHERE r.rolname = 'asterisk_cel' AND s.setdatabase = 0"
        )
    finally:
        await conn.close()
    assert settings is not None and "synchronous_commit=off" in settings
