"""Migration 0011 keeps the overrides admins made before it: working stays working,
not working becomes a rest day; and the database refuses what the calendar cannot read."""

from __future__ import annotations

from datetime import date

import asyncpg
import pytest

from db.migrate import bundled_migrations, migrate


async def test_the_overrides_made_before_keep_their_meaning(empty_db: str) -> None:
    conn = await asyncpg.connect(empty_db)
    try:
        await migrate(conn, [m for m in bundled_migrations() if m.version < "0011"])
        await conn.execute(
            "INSERT INTO calendar_overrides VALUES ('2026-10-01', true, '值班'),"
            " ('2026-11-30', false, '')"
        )
        await migrate(conn)
        rows = await conn.fetch("SELECT day, kind, holiday, note FROM calendar_overrides")
        assert sorted(tuple(r) for r in rows) == [
            (date(2026, 10, 1), "working", None, "值班"),
            (date(2026, 11, 30), "rest", None, ""),
        ]
        with pytest.raises(asyncpg.CheckViolationError):  # a holiday needs its key
            await conn.execute(
                "INSERT INTO calendar_overrides (day, kind) VALUES (now(), 'holiday')"
            )
        await conn.execute("INSERT INTO calendar_notices (year, entered_by) VALUES (2027, '1099')")
        with pytest.raises(asyncpg.CheckViolationError):  # make-up days are weekend days
            await conn.execute(
                "INSERT INTO calendar_notice_make_up_days VALUES (2027, '2027-02-15')"
            )
    finally:
        await conn.close()
