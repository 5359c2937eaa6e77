"""Agents, their states and the audit log in PostgreSQL; the SQL is in ``queries.sql``.

One concern: the roster, the states and their audit. The sign-out schedule is
``schedule_repo``'s, call categories and classification ``calls``', the working-day
calendar ``ivr.calendar``'s, web sessions ``web``'s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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
        )
        for r in await conn.fetch(Q["states"])
    }


async def save_transition(
    pool: Any,
    old: Agent,
    new: Agent,
    event: Event,
    at: datetime,
    *,
    linkedid: str | None = None,
    actor: str | None = None,
    detail: str | None = None,
) -> None:
    """The new state and its audit row, in one transaction; ``detail`` says why, in
    words (a reconcile's disagreement)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            Q["save_state"],
            new.job_number,
            new.state.value,
            new.busy_reason.value if new.busy_reason else None,
            new.since or at,
            new.wrap_up_deadline,
            new.sign_out_pending,
            new.phone_reachable,
        )
        if (old.state, old.busy_reason, old.sign_out_pending) != (
            new.state,
            new.busy_reason,
            new.sign_out_pending,
        ):
            await conn.execute(
                Q["audit"],
                new.job_number,
                at,
                old.state.value,
                old.busy_reason.value if old.busy_reason else None,
                new.state.value,
                new.busy_reason.value if new.busy_reason else None,
                type(event).__name__,
                event.source.value,
                linkedid,
                actor,
                new.sign_out_pending,
                detail,
            )


@dataclass(frozen=True)
class AuditRow:
    """One transition of one agent, as the audit log keeps it."""

    at: datetime
    from_state: str
    from_reason: str | None
    to_state: str
    to_reason: str | None
    event: str
    source: str
    linkedid: str | None
    actor: str | None
    busy_pending: str | None
    sign_out_pending: bool
    detail: str | None


async def audit(conn: Any, job_number: str, limit: int) -> list[AuditRow]:
    """The agent's last ``limit`` transitions, newest first."""
    rows = await conn.fetch(Q["audit_of_agent"], job_number, limit)
    return [AuditRow(**{f: r[f] for f in AuditRow.__dataclass_fields__}) for r in rows]
