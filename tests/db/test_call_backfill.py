"""The CEL backfill catches up in one run: page after page until no call is left, one
query for a page's CEL rows, and a call CEL cannot rebuild never stops it.

The calls are real recorded inbound calls (``tests/fixtures/cel/inbound-answered.json``,
and ``inbound-transferred.json``) copied under linkedids of their own, in the ``cel``
table as cel_pgsql writes it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from calls.model import HungUp, Outcome, Source
from calls.service import CallRecorder
from tests import cel_fixtures

AN_HOUR_AGO = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)


async def put_calls(pool: asyncpg.Pool, count: int, *, skip: int = 0) -> None:
    rows: list[dict[str, Any]] = []
    for n in range(skip, skip + count):
        rows += cel_fixtures.inbound_call(n, AN_HOUR_AGO + timedelta(seconds=n))
    async with pool.acquire() as conn:
        await cel_fixtures.insert(conn, rows)


def recorder(pool: asyncpg.Pool, batch: int) -> CallRecorder:
    return CallRecorder(None, pool, backfill_batch=batch)  # type: ignore[arg-type]


async def test_one_run_rebuilds_every_missed_call_page_after_page(pool: asyncpg.Pool) -> None:
    await put_calls(pool, 25)
    assert await recorder(pool, batch=10).backfill() == 25  # three pages, one run
    rows = await pool.fetch("SELECT linkedid, outcome, source, agent_job_number FROM calls")
    assert len(rows) == 25
    assert {(r["outcome"], r["source"], r["agent_job_number"]) for r in rows} == {
        (Outcome.ANSWERED.value, Source.CEL.value, "1001")
    }
    assert await recorder(pool, batch=10).backfill() == 0  # nothing twice


async def test_a_call_cel_cannot_rebuild_is_passed_over(pool: asyncpg.Pool) -> None:
    """Whole pages of calls without the caller's HANGUP (not finished as far as CEL
    knows) come first: the run goes past them to the calls it can rebuild, and ends."""
    broken = []
    for n in range(4):
        broken += [
            row
            for row in cel_fixtures.inbound_call(n, AN_HOUR_AGO - timedelta(minutes=10 - n))
            if not (row["eventtype"] == "HANGUP" and row["uniqueid"] == row["linkedid"])
        ]
    async with pool.acquire() as conn:
        await cel_fixtures.insert(conn, broken)
    await put_calls(pool, 3, skip=10)
    assert await recorder(pool, batch=2).backfill() == 3
    got = {r["linkedid"] for r in await pool.fetch("SELECT linkedid FROM calls")}
    assert got == {cel_fixtures.inbound_linkedid(n) for n in range(10, 13)}


async def test_a_call_the_agent_transferred_is_rebuilt_as_transferred(pool: asyncpg.Pool) -> None:
    """The recorded department transfer (``inbound-transferred.json``) among answered
    calls: CEL's BLINDTRANSFER makes it transferred, as the live recorder writes it."""
    await put_calls(pool, 2)
    name = "inbound-transferred"
    async with pool.acquire() as conn:
        await cel_fixtures.insert(conn, cel_fixtures.inbound_call(9, AN_HOUR_AGO, name))
    assert await recorder(pool, batch=10).backfill() == 3
    row = await pool.fetchrow(
        "SELECT outcome, hung_up_first, agent_job_number, queue FROM calls WHERE linkedid = $1",
        cel_fixtures.inbound_linkedid(9, name),
    )
    assert row is not None
    assert tuple(row) == (Outcome.TRANSFERRED.value, HungUp.TRANSFER.value, "1009", "12333")
