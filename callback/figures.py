"""The callback figures supervisors and ``/metrics`` read: per day and kind, R13's
suggestions and complaints per department, and the live counts. Read-only; the SQL is
in ``callback/queries.sql`` with the store's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from callback.model import LIVE_STATES, Kind, State
from callback.repo import Q


async def figures(
    pool: Any, start: datetime, end: datetime, tz: str = "Asia/Shanghai"
) -> list[dict[str, Any]]:
    """Per day (local to ``tz``, the centre's time zone) and kind: opened, done, overdue,
    failed, attempts per callback (attempts started that day / callbacks attempted)."""
    rows = await pool.fetch(Q["figures"], start, end, tz)
    return [
        {
            "day": r["day"],
            "kind": r["kind"],
            "opened": r["opened"],
            "done": r["done"],
            "overdue": r["overdue"],
            "failed": r["failed"],
            "attempts": r["attempts"],
            "attempts_per_callback": (
                round(r["attempts"] / r["attempted"], 2) if r["attempted"] else None
            ),
        }
        for r in rows
    ]


async def department_figures(
    pool: Any, start: datetime, end: datetime, tz: str = "Asia/Shanghai"
) -> list[dict[str, Any]]:
    """R13's report: suggestions and complaints per local day made and department —
    opened, forwarded (passed on), done, live, overdue."""
    rows = await pool.fetch(Q["department_figures"], start, end, tz)
    keys = ("day", "department", "opened", "forwarded", "done", "live", "overdue")
    return [{k: r[k] for k in keys} for r in rows]


async def open_counts(pool: Any, now: datetime) -> dict[str, Any]:
    """For /metrics: live callbacks by kind and state, overdue."""
    live = {k.value: {s.value: 0 for s in State if s in LIVE_STATES} for k in Kind}
    for r in await pool.fetch(Q["open_counts"]):
        live[r["kind"]][r["state"]] = r["n"]
    overdue = {k.value: 0 for k in Kind}
    for r in await pool.fetch(Q["overdue_counts"], now):
        overdue[r["kind"]] = r["n"]
    oldest = await pool.fetchval(Q["oldest_dispatchable"], now)
    return {
        "live": live,  # kind -> state -> count (zeros included)
        "overdue": overdue,  # kind -> count
        "dispatch_lag_s": (now - oldest).total_seconds() if oldest else 0.0,
    }
