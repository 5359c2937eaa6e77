"""The report's reads in PostgreSQL: the SQL lives in ``queries.sql``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from db.sql import load_queries
from reports.model import (
    ANSWER_TARGET_S,
    LONG_HOLD_S,
    TWO_RINGS_S,
    WRAP_UP_LIMIT_S,
    WRAP_UP_SLACK_S,
    By,
    state_counts,
)
from reports.staffing import Measured

Q = load_queries("reports")

Rows = list[dict[str, Any]]


async def quality_counts(
    conn: Any, start: datetime, end: datetime, tz: str, by: By
) -> tuple[Rows, Rows]:
    """The figures' counts (several rows per key, ``model.assemble`` adds them up) and
    the calls per category."""
    common = (start, end, tz, by.value)
    calls = await conn.fetch(Q["quality_calls"], *common, ANSWER_TARGET_S, WRAP_UP_LIMIT_S)
    holds = await conn.fetch(Q["quality_holds"], *common, LONG_HOLD_S)
    states = await conn.fetch(
        Q["quality_states"], *common, WRAP_UP_LIMIT_S + WRAP_UP_SLACK_S, TWO_RINGS_S
    )
    callbacks = await conn.fetch(Q["quality_callbacks"], *common)
    categories = await conn.fetch(Q["quality_categories"], *common)
    counts = [
        *(_plain(r) for r in calls),
        *(_plain(r) for r in holds),
        *state_counts(_plain(r) for r in states),
        *(_plain(r) for r in callbacks),
    ]
    return counts, [_plain(r) for r in categories]


def _plain(row: Any) -> dict[str, Any]:
    """Numbers as Python numbers (PostgreSQL's numeric arrives as Decimal)."""
    return {k: float(v) if hasattr(v, "as_tuple") else v for k, v in dict(row).items()}


async def category_names(conn: Any) -> list[str]:
    return [r["name"] for r in await conn.fetch(Q["category_names"])]


async def arrivals(
    conn: Any, start: datetime, end: datetime, tz: str, isoweekday: int
) -> dict[int, int]:
    rows = await conn.fetch(Q["staffing_arrivals"], start, end, tz, isoweekday)
    return {r["slot"]: r["arrivals"] for r in rows}


async def measured(conn: Any, start: datetime, end: datetime) -> Measured:
    row = await conn.fetchrow(Q["staffing_handle"], start, end)

    def num(value: Any) -> float | None:
        return None if value is None else float(value)

    return Measured(talk_avg_s=num(row["talk_avg_s"]), wrap_up_avg_s=num(row["wrap_up_avg_s"]))


async def signed_in(conn: Any, day_start: datetime, now: datetime) -> dict[int, tuple[float, int]]:
    rows = await conn.fetch(Q["staffing_signed_in"], day_start, now)
    return {r["slot"]: (float(r["signed_in"]), r["agents"]) for r in rows}
