"""Agents, their states and the audit log in PostgreSQL; the SQL is in ``queries.sql``."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from agent_state.member import Member
from agent_state.model import Agent, BusyReason, Event, State
from core.actor import Role
from db.sql import load_queries

Q = load_queries("agent_state")


async def roster(conn: Any) -> dict[str, Member]:
    rows = await conn.fetch(Q["roster"])
    return {
        r["job_number"]: Member(
            r["job_number"],
            r["name"],
            r["extension"],
            Role(r["role"]),
            r["pin_hash"],
            tuple(zip(r["queues"], r["penalties"], strict=True)),
        )
        for r in rows
    }


async def states(conn: Any) -> dict[str, Agent]:
    return {
        r["job_number"]: Agent(
            job_number=r["job_number"],
            state=State(r["state"]),
            busy_reason=BusyReason(r["busy_reason"]) if r["busy_reason"] else None,
            since=r["since"],
            wrap_up_deadline=r["wrap_up_deadline"],
            sign_out_pending=r["sign_out_pending"],
            phone_reachable=r["phone_reachable"],
            busy_pending=BusyReason(r["busy_pending"]) if r["busy_pending"] else None,
        )
        for r in await conn.fetch(Q["states"])
    }


def _reason(reason: BusyReason | None) -> str | None:
    return reason.value if reason else None


def _audited(agent: Agent) -> tuple[object, ...]:
    """What an audit row records of an agent: a change in any of it is a new row."""
    return (agent.state, agent.busy_reason, agent.sign_out_pending, agent.busy_pending)


async def save_transition(
    pool: Any,
    old: Agent,
    new: Agent,
    event: Event,
    at: datetime,
    *,
    linkedid: str | None = None,
    actor: str | None = None,
) -> None:
    """The new state and its audit row, in one transaction."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            Q["save_state"],
            new.job_number,
            new.state.value,
            _reason(new.busy_reason),
            new.since or at,
            new.wrap_up_deadline,
            new.sign_out_pending,
            new.phone_reachable,
            _reason(new.busy_pending),
        )
        if _audited(old) != _audited(new):
            await conn.execute(
                Q["audit"],
                new.job_number,
                at,
                old.state.value,
                _reason(old.busy_reason),
                new.state.value,
                _reason(new.busy_reason),
                type(event).__name__,
                event.source.value,
                linkedid,
                actor,
                _reason(new.busy_pending),
                new.sign_out_pending,
                getattr(event, "why", "") or None,
            )


async def categories(conn: Any) -> list[str]:
    return [r["name"] for r in await conn.fetch(Q["categories"])]


async def classify_call(
    conn: Any, linkedid: str, *, category: str, summary: str, job_number: str, at: datetime
) -> bool:
    return (
        await conn.fetchval(Q["classify_call"], linkedid, category, summary, job_number, at)
        is not None
    )


async def schedule(conn: Any) -> list[tuple[int, time, str]]:
    return [(r["weekday"], r["at"], r["label"]) for r in await conn.fetch(Q["schedule"])]


async def calendar_override(conn: Any, day: date) -> bool | None:
    value = await conn.fetchval(Q["calendar_override"], day)
    return None if value is None else bool(value)


async def create_session(
    conn: Any, token_hash: str, job_number: str, role: str, expires_at: datetime
) -> None:
    await conn.execute(Q["create_session"], token_hash, job_number, role, expires_at)


async def session(conn: Any, token_hash: str) -> tuple[str, str] | None:
    row = await conn.fetchrow(Q["session"], token_hash)
    return (row["job_number"], row["role"]) if row else None


async def replace_categories(pool: Any, names: list[str]) -> None:
    """The active R5 list becomes ``names`` in that order; old names stay for old calls."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(Q["deactivate_categories"])
        for position, name in enumerate(names, start=1):
            await conn.execute(Q["upsert_category"], name, position)


async def replace_schedule(pool: Any, entries: list[tuple[int, time, str]]) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(Q["clear_schedule"])
        for weekday, at, label in entries:
            await conn.execute(Q["add_schedule_entry"], weekday, at, label)


async def set_calendar_override(pool: Any, day: date, working: bool | None, note: str) -> None:
    if working is None:
        await pool.execute(Q["delete_calendar_override"], day)
    else:
        await pool.execute(Q["set_calendar_override"], day, working, note)
