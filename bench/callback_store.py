"""Benchmark: the callback store with 100,000 queued callbacks (issue 11).

On a fresh database of the sandbox's PostgreSQL (``db migrate``'s schema):
- enqueue: N voicemail requests, each for a number of its own, taken in through
  ``callback.repo.open_callback`` (the advisory lock on the number, the live callbacks'
  lock, ``merge.decide``, the row, its reason and its history in one transaction) by W
  writers, each on a connection of its own; prints callbacks/s;
- claim: D dispatchers, each on a connection of its own, call ``callback.repo.claim``
  (one statement: ``FOR UPDATE SKIP LOCKED``, the new attempt and lease, the history)
  for B callbacks at a time until none is left (a run for each B given, all of them
  open again before each); prints claims/s, the statement's p50 /
  p99, and the duplicates (a callback claimed twice), checked in the client and in the
  database.

And first, what a supervisor gets: ``hotline serve`` (a process of its own, JSON info
logs, callback dispatch off so nobody is rung) takes A return visits through its API
(``POST /api/callbacks/return-visits``, a session's bearer token, each for a number of
its own) from C concurrent clients; prints callbacks/s and the request's p50 / p99.

Goal: >= 2,000 claims/s with 8 dispatchers; zero duplicates.

    sudo .venv/bin/python bench/callback_store.py [--callbacks 100000] [--writers 8]
        [--dispatchers 8] [--batch 1,10] [--api 10000] [--clients 8]

Needs the sandbox's PostgreSQL (`hotline sandbox up`) and nobody else loading it (take
the e2e lock). Uses a database of its own, dropped after.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from accounts.passwords import PasswordCost, Passwords
from asterisk_conf.sandbox import throwaway
from asterisk_conf.sandbox.sandbox import Sandbox
from bench.serving import serve
from callback import repo
from callback.model import Kind, Reason, Request
from core.logging import configure_logging
from core.settings import Settings, load_settings
from db.migrate import migrate

# longer than the run: nothing renews here, and a lease running out mid-run would be
# taken up again (a reclaim, counted as a second claim)
LEASE_S = 3600.0
HTTP_PORT = 18096
SUPERVISOR, PASSWORD = "1098", "bench supervisor passphrase"


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


async def through_the_api(
    settings: Settings, url: str, count: int, clients: int
) -> tuple[float, list[float]]:
    """Seconds for ``clients`` to open ``count`` return visits through ``hotline serve``'s
    API, and each request's latency."""
    hashed = Passwords(PasswordCost.of(settings)).hash(PASSWORD)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "INSERT INTO agents (job_number, name, role, password_hash)"
            " VALUES ($1, 'bench', 'supervisor', $2)",
            SUPERVISOR,
            hashed,
        )
    finally:
        await conn.close()
    log = Path(tempfile.mkdtemp(prefix="hotline-bench-")) / "serve.log"
    api = f"http://127.0.0.1:{HTTP_PORT}/api"
    env = {"HOTLINE_CALLBACK_DISPATCH": "false"}
    latencies: list[float] = []
    todo = iter(range(count))
    async with serve(settings, url, log, HTTP_PORT, env) as proc, aiohttp.ClientSession() as http:
        print(f"hotline serve pid {proc.pid}, info log in {log}")
        async with http.post(
            f"{api}/sessions", json={"job_number": SUPERVISOR, "password": PASSWORD}
        ) as r:
            auth = {"Authorization": f"Bearer {(await r.json())['token']}"}
        at = datetime.now(UTC).isoformat()

        async def client() -> None:
            for i in todo:
                body = {"number": f"138{i:08d}", "at": at, "question": f"回访 {i}"}
                began = time.perf_counter()
                async with http.post(
                    f"{api}/callbacks/return-visits", json=body, headers=auth
                ) as r:
                    if r.status != 201:
                        raise RuntimeError(f"{r.status}: {await r.text()}")
                latencies.append(time.perf_counter() - began)

        began = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        return time.perf_counter() - began, latencies


@contextlib.asynccontextmanager
async def database(admin_url: str) -> AsyncIterator[str]:
    """A database of the bench's own on the sandbox's PostgreSQL, migrated; dropped after."""
    name = throwaway.for_bench()
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        conn = await asyncpg.connect(url)
        try:
            await migrate(conn)
        finally:
            await conn.close()
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def run(args: argparse.Namespace) -> None:
    settings = load_settings(os.environ)
    sandbox = Sandbox(settings)
    admin_url = sandbox.database_url(sandbox.ensure_secrets())
    if args.api:
        async with database(admin_url) as url:
            seconds, latencies = await through_the_api(settings, url, args.api, args.clients)
        q = statistics.quantiles(latencies, n=100)
        print(
            f"API: {args.api} return visits by {args.clients} clients through hotline serve"
            f" in {seconds:.1f} s = {args.api / seconds:,.0f} callbacks/s;"
            f" a request p50 {q[49] * 1000:.1f} ms, p99 {q[98] * 1000:.1f} ms"
        )
    async with database(admin_url) as url:
        seconds = await enqueue(url, args.callbacks, args.writers)
        print(
            f"enqueue: {args.callbacks} callbacks through open_callback by {args.writers}"
            f" writers in {seconds:.1f} s = {args.callbacks / seconds:,.0f} callbacks/s"
        )
        for batch in (int(b) for b in args.batch.split(",")):
            await claims(url, args.callbacks, args.dispatchers, batch)


_IN_DB = (
    "SELECT count(*) FILTER (WHERE state = 'dispatching') AS dispatching,"
    " count(DISTINCT attempt_id) AS attempts,"
    " (SELECT count(*) FROM callback_history WHERE event = 'Claimed') AS claims"
    " FROM callbacks"
)


async def claims(url: str, count: int, dispatchers: int, batch: int) -> None:
    """All ``count`` callbacks open again, then claimed; prints the figures."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(
            "UPDATE callbacks SET state = 'open', attempt_id = NULL, lease_until = NULL"
            " WHERE state <> 'open'"
        )
        await conn.execute("VACUUM ANALYZE callbacks")
        before = await conn.fetchval(
            "SELECT count(*) FROM callback_history WHERE event = 'Claimed'"
        )
        seconds, claimed, latencies = await dispatch(url, dispatchers, batch)
        in_db = await conn.fetchrow(_IN_DB)
        assert in_db is not None
    finally:
        await conn.close()
    total = sum(claimed.values())
    duplicates = sum(n - 1 for n in claimed.values() if n > 1)
    quantiles = statistics.quantiles(latencies, n=100)
    print(
        f"claim: {total} claims by {dispatchers} dispatchers ({batch} a statement)"
        f" in {seconds:.1f} s = {total / seconds:,.0f} claims/s;"
        f" a claim statement p50 {quantiles[49] * 1000:.1f} ms,"
        f" p99 {quantiles[98] * 1000:.1f} ms"
    )
    print(
        f"  duplicates: {duplicates} (client), unclaimed: {count - len(claimed)};"
        f" database: {in_db['dispatching']} dispatching, {in_db['attempts']} attempts,"
        f" {in_db['claims'] - before} Claimed history rows"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--callbacks", type=int, default=100_000)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--dispatchers", type=int, default=8)
    parser.add_argument(
        "--batch", default="1,10", help="callbacks a claim statement; a run for each"
    )
    parser.add_argument("--api", type=int, default=10_000, help="return visits via the API")
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    configure_logging("console", "warning")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
