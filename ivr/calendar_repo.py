"""The calendar's overrides and official notices in PostgreSQL (SQL in ``queries.sql``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from db.sql import load_queries
from ivr.calendar import HolidayRange, Notice, Override, OverrideKind

Q = load_queries("ivr")


def override_from_row(row: Mapping[str, Any]) -> Override:
    return Override(
        day=row["day"],
        kind=OverrideKind(row["kind"]),
        holiday=row["holiday"],
        note=row["note"],
        set_by=row["set_by"],
        set_at=row["set_at"],
    )


async def overrides(conn: Any) -> dict[date, Override]:
    return {r["day"]: override_from_row(r) for r in await conn.fetch(Q["calendar_overrides"])}


async def set_override(conn: Any, override: Override, by: str) -> None:
    await conn.execute(
        Q["set_calendar_override"],
        override.day,
        override.kind.value,
        override.holiday,
        override.note,
        by,
    )


async def delete_override(conn: Any, day: date) -> bool:
    """True if there was one."""
    return bool(await conn.execute(Q["delete_calendar_override"], day) != "DELETE 0")


async def notices(pool: Any) -> dict[int, Notice]:
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
        heads = await conn.fetch(Q["calendar_notices"])
        spans = await conn.fetch(Q["calendar_notice_holidays"])
        make_up = await conn.fetch(Q["calendar_notice_make_up_days"])
    return {
        head["year"]: Notice(
            year=head["year"],
            holidays=tuple(
                HolidayRange(r["first_day"], r["last_day"], r["holiday"])
                for r in spans
                if r["year"] == head["year"]
            ),
            make_up_days=tuple(r["day"] for r in make_up if r["year"] == head["year"]),
            entered_by=head["entered_by"],
            entered_at=head["entered_at"],
        )
        for head in heads
    }


async def replace_notice(pool: Any, notice: Notice, by: str) -> None:
    """The year's notice, replaced whole in one transaction."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(Q["set_calendar_notice"], notice.year, by)
        await conn.execute(Q["clear_calendar_notice_holidays"], notice.year)
        await conn.execute(Q["clear_calendar_notice_make_up_days"], notice.year)
        await conn.executemany(
            Q["add_calendar_notice_holiday"],
            [(notice.year, s.first, s.last, s.holiday) for s in notice.holidays],
        )
        await conn.executemany(
            Q["add_calendar_notice_make_up_day"], [(notice.year, d) for d in notice.make_up_days]
        )


async def delete_notice(conn: Any, year: int) -> bool:
    """True if there was one."""
    return bool(await conn.execute(Q["delete_calendar_notice"], year) != "DELETE 0")
