"""Migrations against a real PostgreSQL: idempotent, atomic, serialised."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from agent_state.pins import verify_pin
from core.errors import MigrationError
from db.migrate import Migration, bundled_migrations, migrate
from hotline.demo import seed


async def test_migrate_twice_applies_everything_once(empty_db: str) -> None:
    conn = await asyncpg.connect(empty_db)
    try:
        first = await migrate(conn)
        second = await migrate(conn)
        assert first == [m.name for m in bundled_migrations()]
        assert second == []
        rows = await conn.fetch("SELECT version FROM schema_migrations ORDER BY version")
        assert [r["version"] for r in rows] == [m.version for m in bundled_migrations()]
    finally:
        await conn.close()


async def test_concurrent_migrate_runs_apply_each_migration_once(empty_db: str) -> None:
    conns = [await asyncpg.connect(empty_db) for _ in range(3)]
    try:
        results = await asyncio.gather(*(migrate(c) for c in conns))
        assert sorted(len(r) for r in results) == [0, 0, len(bundled_migrations())]
    finally:
        for c in conns:
            await c.close()


async def test_failing_migration_leaves_nothing_half_applied(empty_db: str) -> None:
    broken = [
        Migration("0001", "0001_ok.sql", "CREATE TABLE a (x int);"),
        Migration("0002", "0002_bad.sql", "CREATE TABLE b (x int); SELECT no_such_fn();"),
    ]
    conn = await asyncpg.connect(empty_db)
    try:
        with pytest.raises(MigrationError, match=r"0002_bad\.sql"):
            await migrate(conn, broken)
        assert await conn.fetchval("SELECT to_regclass('a') IS NOT NULL")
        assert not await conn.fetchval("SELECT to_regclass('b') IS NOT NULL")
        assert await conn.fetchval("SELECT count(*) FROM schema_migrations") == 1
    finally:
        await conn.close()


async def test_an_applied_migration_that_changed_is_refused(empty_db: str) -> None:
    conn = await asyncpg.connect(empty_db)
    try:
        await migrate(conn, [Migration("0001", "0001_a.sql", "CREATE TABLE a (x int);")])
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await migrate(conn, [Migration("0001", "0001_a.sql", "CREATE TABLE a (y int);")])
    finally:
        await conn.close()


async def test_demo_agents_keep_chinese_names_and_verify_their_pins(empty_db: str) -> None:
    conn = await asyncpg.connect(empty_db)
    try:
        await migrate(conn)
        pins = {"1001": "123456", "1002": "234567", "1003": "345678"}
        await seed(conn, pins)
        await seed(conn, pins)  # idempotent
        rows = await conn.fetch("SELECT * FROM agents ORDER BY job_number")
        assert [(r["job_number"], r["name"], r["extension"]) for r in rows] == [
            ("1001", "演示坐席一", "2001"),
            ("1002", "演示坐席二", "2002"),
            ("1003", "演示坐席三", "2003"),
        ]
        assert verify_pin("123456", rows[0]["pin_hash"])
        assert not verify_pin("123457", rows[0]["pin_hash"])
        assert "123456" not in rows[0]["pin_hash"]
    finally:
        await conn.close()


async def test_job_numbers_must_be_digits(empty_db: str) -> None:
    conn = await asyncpg.connect(empty_db)
    try:
        await migrate(conn)
        with pytest.raises(asyncpg.CheckViolationError):
            await conn.execute("INSERT INTO agents VALUES ('10a1', 'x', '2009', 'h')")
    finally:
        await conn.close()
