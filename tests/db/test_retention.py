"""The retention purge on the real schema: CEL by whole calls, the audit tables by row,
only what is past its time, in batches until done — and the audit tables stay
append-only for anything but the purge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from retention.job import Purge
from retention.model import rules
from tests import cel_fixtures

NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=100)  # past 90 days
RECENT = NOW - timedelta(days=10)


def naive(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None)


async def put_calls(pool: asyncpg.Pool, numbers: range, start: datetime) -> None:
    rows: list[dict[str, Any]] = []
    for n in numbers:
        rows += cel_fixtures.inbound_call(n, naive(start) + timedelta(seconds=n))
    async with pool.acquire() as conn:
        await cel_fixtures.insert(conn, rows)


async def put_audit(pool: asyncpg.Pool, at: datetime, count: int) -> None:
    await pool.executemany(
        "INSERT INTO agent_state_audit (job_number, at, from_state, to_state, event, source)"
        " VALUES ('1001', $1, 'idle', 'busy', 'go_busy', 'web')",
        [(at,)] * count,
    )
    await pool.executemany(
        "INSERT INTO sign_in_audit (job_number, origin, at, what) VALUES ('1001', 'web', $1,"
        " 'failed')",
        [(at,)] * count,
    )


def purge(pool: asyncpg.Pool, batch: int = 2) -> Purge:
    return Purge(pool, rules(cel_days=90, audit_days=90, backfill_days=7), batch=batch)


async def test_only_what_is_past_its_time_goes_whole_calls_in_batches(
    pool: asyncpg.Pool,
) -> None:
    await put_calls(pool, range(5), OLD)
    await put_calls(pool, range(10, 13), RECENT)
    await put_audit(pool, OLD, 5)
    await put_audit(pool, RECENT, 3)

    gone = await purge(pool).run_once()  # batches of 2: three rounds a table

    assert gone == {"cel": 5, "agent_state_audit": 5, "sign_in_audit": 5}
    left = {r["linkedid"] for r in await pool.fetch("SELECT DISTINCT linkedid FROM cel")}
    assert left == {cel_fixtures.inbound_linkedid(n) for n in range(10, 13)}
    per_call = len(cel_fixtures.inbound_call(0, naive(NOW)))
    assert await pool.fetchval("SELECT count(*) FROM cel") == 3 * per_call  # whole calls
    for table in ("agent_state_audit", "sign_in_audit"):
        ats = [r["at"] for r in await pool.fetch(f"SELECT at FROM {table}")]  # noqa: S608
        assert len(ats) == 3
        assert all(at > OLD for at in ats)
    assert await purge(pool).run_once() == {"cel": 0, "agent_state_audit": 0, "sign_in_audit": 0}


@pytest.mark.parametrize("table", ["agent_state_audit", "sign_in_audit"])
async def test_the_audit_stays_append_only_outside_the_purge(
    pool: asyncpg.Pool, table: str
) -> None:
    await put_audit(pool, OLD, 1)
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await pool.execute(f"DELETE FROM {table}")  # noqa: S608


async def test_kept_for_ever_means_nothing_goes(pool: asyncpg.Pool) -> None:
    await put_calls(pool, range(2), OLD)
    kept = Purge(pool, rules(cel_days=0, audit_days=0, backfill_days=7))
    assert await kept.run_once() == {}
    assert await pool.fetchval("SELECT count(DISTINCT linkedid) FROM cel") == 2
