"""Call rows in PostgreSQL: the SQL lives in ``queries.sql``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from calls.cel import CelRow
from calls.model import ENTRY_CONTEXT, CallRecord, HungUp, Outcome, Source
from calls.path import LONG_HOLD_S, CallHold
from db.journal import Arg
from db.sql import load_queries
from dialplan.model import Language

Q = load_queries("calls")


# CEL rows made into CelRows between two turns of the event loop (~1 ms of Python)
CEL_ROW_CHUNK = 100

RECORD = "call_record"  # the journal's name for a finished call's row (db/durable.py)


def record_args(record: CallRecord) -> tuple[Arg, ...]:
    """The parameters of ``insert_call``, plain values the journal can keep."""
    return (
        record.linkedid,
        record.caller_number,
        record.caller_name,
        record.entry_number,
        record.entered_at,
        record.greeting_done_at,
        record.queue_joined_at,
        record.agent_offered_at,
        record.agent_answered_at,
        record.ended_at,
        record.queue,
        record.agent_job_number,
        record.ring_s,
        record.wait_s,
        record.talk_s,
        record.outcome.value,
        record.hung_up_first.value,
        record.source.value,
        record.plan_version,
        json.dumps(list(record.menu_path)),
        _holds_json(record.holds),
        record.language.value if record.language else None,
        record.ended_node,
    )


# journal entries written before the call's path and holds (migration 0013) were kept:
# plan version, path, holds (not known), language, node ended in
_ADDED_ARGS: tuple[Arg, ...] = (None, "[]", None, None, None)
_ARGS = 18 + len(_ADDED_ARGS)


def _holds_json(holds: tuple[CallHold, ...] | None) -> str | None:
    if holds is None:
        return None
    return json.dumps(
        [{"started_at": h.started_at.isoformat(), "length_s": h.length_s} for h in holds]
    )


def _holds(value: str | None) -> tuple[CallHold, ...]:
    return tuple(
        CallHold(started_at=datetime.fromisoformat(h["started_at"]), length_s=h["length_s"])
        for h in json.loads(value or "[]")
    )


async def write_record(conn: Any, args: Sequence[Arg]) -> bool:
    """Write the row unless its Linkedid has one already (a CEL rebuild, an earlier
    replay); True if written."""
    args = (*args, *_ADDED_ARGS[len(args) - _ARGS :]) if len(args) < _ARGS else args
    return await conn.fetchval(Q["insert_call"], *args) is not None


async def insert(conn: Any, record: CallRecord) -> bool:
    """Write the record unless its Linkedid has a row already; True if written."""
    return await write_record(conn, record_args(record))


@dataclass(frozen=True)
class CelPage:
    """One page of unrecorded calls, and where the next page starts."""

    linkedids: list[str]
    cursor: tuple[datetime, str] | None  # the last call's start (naive UTC) and linkedid


async def unrecorded_cel_calls(
    conn: Any,
    since: datetime,
    grace_s: float,
    *,
    limit: int,
    after: tuple[datetime, str] | None = None,
) -> CelPage:
    start, linkedid = after if after is not None else (None, None)
    rows = await conn.fetch(
        Q["unrecorded_cel_calls"], since, grace_s, ENTRY_CONTEXT, limit, start, linkedid
    )
    cursor = (rows[-1]["eventtime"], rows[-1]["linkedid"]) if rows else None
    return CelPage([r["linkedid"] for r in rows], cursor)


async def cel_rows(conn: Any, linkedid: str) -> list[CelRow]:
    return (await cel_rows_of(conn, [linkedid]))[linkedid]


async def cel_rows_of(conn: Any, linkedids: Sequence[str]) -> dict[str, list[CelRow]]:
    """The CEL rows of each call (one query for all), in order. A backfill page is
    thousands of rows: the event loop runs live events between chunks of them."""
    calls: dict[str, list[CelRow]] = {linkedid: [] for linkedid in linkedids}
    for n, r in enumerate(await conn.fetch(Q["cel_rows_of"], list(linkedids)), 1):
        eventtype, eventtime, *rest = r  # the query's columns are CelRow's fields, in order
        row = CelRow(eventtype, eventtime.replace(tzinfo=UTC), *rest)
        calls[row.linkedid].append(row)
        if n % CEL_ROW_CHUNK == 0:
            await asyncio.sleep(0)
    return calls


async def list_calls(
    conn: Any,
    *,
    since: datetime | None,
    until: datetime | None,
    number: str | None,
    agent: str | None,
    outcome: str | None,
    limit: int,
    ended_node: str | None = None,
) -> list[CallRecord]:
    rows = await conn.fetch(
        Q["list_calls"], since, until, number, agent, outcome, limit, ended_node
    )
    return [from_row(r) for r in rows]


async def by_linkedid(conn: Any, linkedid: str) -> CallRecord | None:
    row = await conn.fetchrow(Q["call_by_linkedid"], linkedid)
    return from_row(row) if row else None


async def last_answered_by(conn: Any, job_number: str) -> CallRecord | None:
    """The last call ``job_number`` answered, as on record (R11a: an escalation after it)."""
    row = await conn.fetchrow(Q["last_answered_by"], job_number)
    return from_row(row) if row else None


def from_row(row: Any) -> CallRecord:
    return CallRecord(
        linkedid=row["linkedid"],
        caller_number=row["caller_number"],
        caller_name=row["caller_name"],
        entry_number=row["entry_number"],
        entered_at=row["entered_at"],
        ended_at=row["ended_at"],
        outcome=Outcome(row["outcome"]),
        hung_up_first=HungUp(row["hung_up_first"]),
        source=Source(row["source"]),
        greeting_done_at=row["greeting_done_at"],
        queue_joined_at=row["queue_joined_at"],
        agent_offered_at=row["agent_offered_at"],
        agent_answered_at=row["agent_answered_at"],
        queue=row["queue"],
        agent_job_number=row["agent_job_number"],
        plan_version=row["plan_version"],
        menu_path=tuple(row["menu_path"]),
        language=Language(row["language"]) if row["language"] else None,
        ended_node=row["ended_node"],
        holds=None if row["hold_count"] is None else _holds(row["hold_list"]),
    )


@dataclass(frozen=True)
class AgentDayHolds:
    """R9's figure for one agent on one day: holds, and how many were over 30 s."""

    agent_job_number: str
    day: Any  # datetime.date
    holds: int
    long_holds: int
    hold_total_s: float
    calls_holds_unknown: int  # calls rebuilt from CEL: their holds are not known


async def long_holds_by_agent_day(
    conn: Any, since: datetime, until: datetime, tz: str, over_s: float = LONG_HOLD_S
) -> list[AgentDayHolds]:
    rows = await conn.fetch(Q["long_holds_by_agent_day"], since, until, tz, over_s)
    return [AgentDayHolds(**dict(r)) for r in rows]


async def categories(conn: Any) -> list[str]:
    return [r["name"] for r in await conn.fetch(Q["categories"])]


async def replace_categories(pool: Any, names: list[str]) -> None:
    """The active R5 list becomes ``names`` in that order; old names stay for old calls."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(Q["deactivate_categories"])
        for position, name in enumerate(names, start=1):
            await conn.execute(Q["upsert_category"], name, position)


async def classify(
    conn: Any, linkedid: str, *, category: str, summary: str, job_number: str, at: datetime
) -> bool:
    """Category and summary on the call ``job_number`` answered; False if no such call."""
    return (
        await conn.fetchval(Q["classify_call"], linkedid, category, summary, job_number, at)
        is not None
    )


@dataclass(frozen=True)
class EarlierCall:
    """One of a caller's earlier calls, as the console's screen pop lists it."""

    linkedid: str
    entered_at: datetime
    outcome: Outcome
    category: str | None
    agent_job_number: str | None


async def earlier_calls_of(conn: Any, number: str, *, but: str, limit: int) -> list[EarlierCall]:
    """``number``'s last ``limit`` calls other than ``but`` (the call going on), newest first."""
    rows = await conn.fetch(Q["earlier_calls_of"], number, but, limit)
    return [
        EarlierCall(
            linkedid=r["linkedid"],
            entered_at=r["entered_at"],
            outcome=Outcome(r["outcome"]),
            category=r["category"],
            agent_job_number=r["agent_job_number"],
        )
        for r in rows
    ]
