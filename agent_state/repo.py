"""Agents, their states and the audit log in PostgreSQL; the SQL is in ``queries.sql``.

One concern: the roster, the states and their audit. The sign-out schedule is
``schedule_repo``'s, call categories and classification ``calls``', the working-day
calendar ``ivr.calendar``'s, web sessions ``web``'s.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from agent_state.member import Member
from agent_state.model import Agent, BusyReason, Event, State
from agent_state.seats import phone_taken
from core.actor import Role
from db.journal import Arg
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
            r["owner_slot"],
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
            phone=r["phone"],
        )
        for r in await conn.fetch(Q["states"])
    }


def _reason(reason: BusyReason | None) -> str | None:
    return reason.value if reason else None


def _audited(agent: Agent) -> tuple[object, ...]:
    """What an audit row records of an agent: a change in any of it is a new row."""
    return (agent.state, agent.busy_reason, agent.sign_out_pending, agent.busy_pending)


_TRANSITION_ARGS = 19  # save_transition's parameters
PHONE_TAKEN = "agent_states_phone_taken"  # the unique index on signed-in agents' phones
TRANSITION = "agent_transition"  # the journal's name for a saved transition (db/durable.py)


def transition_args(
    old: Agent,
    new: Agent,
    event: Event,
    at: datetime,
    *,
    linkedid: str | None = None,
    actor: str | None = None,
) -> tuple[Arg, ...]:
    """The parameters of ``save_transition``: the new state and, when what an audit row
    records changed, its audit row; the audit's ``detail`` is a reconcile's why
    (``ForceBusy.why``); then the transition's id; last, the session's desk phone (added
    last: an entry journalled before hot desking has none). Plain values, so the journal
    can keep them."""
    audit = _audited(old) != _audited(new)
    return (
        new.job_number,
        new.state.value,
        _reason(new.busy_reason),
        new.since or at,
        new.wrap_up_deadline,
        new.sign_out_pending,
        new.phone_reachable,
        _reason(new.busy_pending),
        audit,
        at,
        old.state.value,
        _reason(old.busy_reason),
        type(event).__name__,
        event.source.value,
        linkedid,
        actor,
        getattr(event, "why", "") or None,
        str(uuid.uuid4()),
        new.phone,
    )


async def write_transition(conn: Any, args: Sequence[Arg]) -> None:
    """One statement, so one round trip and atomic. An entry journalled before
    transitions had ids (migration 0008) is written with none, one before hot desking
    (migration 0020) with no phone: the member is then at the home phone. Another agent
    holding the phone is ``PhoneTaken`` (the race two sign-ins at one phone can run)."""
    padded = (*args, *(None,) * (_TRANSITION_ARGS - len(args)))
    try:
        await conn.execute(Q["save_transition"], *padded)
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name != PHONE_TAKEN:
            raise
        raise phone_taken(str(padded[_TRANSITION_ARGS - 1])) from exc


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
    await write_transition(
        pool, transition_args(old, new, event, at, linkedid=linkedid, actor=actor)
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
