"""Benchmark: the callback store with 100,000 queued callbacks (issue 11).

On a fresh database of the sandbox's PostgreSQL (``db migrate``'s schema):
- enqueue: N voicemail requests, each for a number of its own, taken in through
  ``callback.repo.open_callback`` (the advisory lock on the number, the live callbacks'
  lock, ``merge.decide``, the row, its reason and its history in one transaction) by W
  writers, each on a connection of its own; prints callbacks/s;
- claim: D dispatchers, each on a connection of its own, call ``callback.repo.claim``
  (one statement: ``FOR UPDATE SKIP LOCKED``, the new attempt and lease, the history)
  for B callbacks at a time until none is left; prints claims/s, the statement's p50 /
  p99, and the duplicates (a callback claimed twice), checked in the client and in the
  database.

Goal: >= 2,000 claims/s with 8 dispatchers; zero duplicates.

    sudo .venv/bin/python bench/callback_store.py [--callbacks 100000] [--writers 8]
        [--dispatchers 8] [--batch 1]

Needs the sandbox's PostgreSQL (`hotline sandbox up`) and nobody else loading it (take
the e2e lock). Uses a database of its own, dropped after.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asterisk_conf.sandbox.sandbox import Sandbox
from callback import repo
from callback.model import Kind, Reason, Request
from core.logging import configure_logging
from core.settings import load_settings
from db.migrate import migrate

LEASE_S = 60.0


def request(i: int, at: datetime) -> Request:
    return Request(
        kind=Kind.VOICEMAIL,
        number=f"139{i:08d}",
        reason=Reason(Kind.VOICEMAIL, at, msg_id=f"bench-{i}", linkedid=f"bench-call-{i}"),
        not_before=at,
        priority_at=at,
    )


async def enqueue(url: str, count: int, writers: int) -> float:
    """Seconds to take ``count`` requests in with ``writers`` connections."""
    conns = [await asyncpg.connect(url) for _ in range(writers)]
    todo = iter(range(count))

    async def writer(conn: asyncpg.Connection) -> None:
        for i in todo:
            opened = await repo.open_callback(
                conn, request(i, datetime.now(UTC)), datetime.now(UTC)
            )
            assert opened.created

    try:
        began = time.perf_counter()
        await asyncio.gather(*(writer(c) for c in conns))
        return time.perf_counter() - began
    finally:
        for c in conns:
            await c.close()


async def dispatch(
    url: str, dispatchers: int, batch: int
) -> tuple[float, Counter[uuid.UUID], list[float]]:
    """Seconds for ``dispatchers`` to claim everything; each callback's claims; latencies."""
    conns = [await asyncpg.connect(url) for _ in range(dispatchers)]
    claimed: Counter[uuid.UUID] = Counter()
    latencies: list[float] = []

    async def dispatcher(name: str, conn: asyncpg.Connection) -> None:
        while True:
            began = time.perf_counter()
            got = await repo.claim(conn, name, datetime.now(UTC), LEASE_S, batch)
            latencies.append(time.perf_counter() - began)
            if not got:
                return
            claimed.update(c.callback.id for c in got)

    try:
        began = time.perf_counter()
        await asyncio.gather(*(dispatcher(f"bench-{i}", c) for i, c in enumerate(conns)))
        return time.perf_counter() - began, claimed, latencies
    finally:
        for c in conns:
            await c.close()


async def run(count: int, writers: int, dispatchers: int, batch: int) -> None:
    settings = load_settings(os.environ)
    sandbox = Sandbox(settings)
    admin_url = sandbox.database_url(sandbox.ensure_secrets())
    name = f"hotline_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        conn = await asyncpg.connect(url)
        try:
            await migrate(conn)
        finally:
            await conn.close()

        seconds = await enqueue(url, count, writers)
        print(
            f"enqueue: {count} callbacks through open_callback by {writers} writers"
            f" in {seconds:.1f} s = {count / seconds:,.0f} callbacks/s"
        )

        seconds, claimed, latencies = await dispatch(url, dispatchers, batch)
        total = sum(claimed.values())
        duplicates = sum(n - 1 for n in claimed.values() if n > 1)
        conn = await asyncpg.connect(url)
        try:
            in_db = await conn.fetchrow(
                "SELECT count(*) FILTER (WHERE state = 'dispatching') AS dispatching,"
                " count(DISTINCT attempt_id) AS attempts,"
                " (SELECT count(*) FROM callback_history WHERE event = 'Claimed') AS claims"
                " FROM callbacks"
            )
        finally:
            await conn.close()
        assert in_db is not None
        quantiles = statistics.quantiles(latencies, n=100)
        print(
            f"claim: {total} claims by {dispatchers} dispatchers ({batch} a statement)"
            f" in {seconds:.1f} s = {total / seconds:,.0f} claims/s;"
            f" a claim statement p50 {quantiles[49] * 1000:.1f} ms,"
            f" p99 {quantiles[98] * 1000:.1f} ms"
        )
        print(
            f"duplicates: {duplicates} (client), unclaimed: {count - len(claimed)};"
            f" database: {in_db['dispatching']} dispatching, {in_db['attempts']} attempts,"
            f" {in_db['claims']} Claimed history rows"
        )
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--callbacks", type=int, default=100_000)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--dispatchers", type=int, default=8)
    parser.add_argument("--batch", type=int, default=1, help="callbacks a claim statement")
    args = parser.parse_args()
    configure_logging("console", "warning")
    asyncio.run(run(args.callbacks, args.writers, args.dispatchers, args.batch))


if __name__ == "__main__":
    main()
