"""Benchmark: how fast the service rebuilds calls it missed, and what live work feels
meanwhile (issue 13, "Backfill speed").

Runs ``hotline serve`` as users run it (a process of its own, info logs as JSON to a
file) on a fresh database, with one agent signed in (a Local member; nobody calls).
Then:
1. at rest: the agent's 置忙 / 示闲 over HTTP, each answered after the service paused
   or unpaused the member in Asterisk over AMI — the live path — p50 / p99 / max;
2. N missed calls appear in the ``cel`` table at once (one COPY and an ANALYZE, as
   after an outage: a real recorded inbound call,
   ``tests/fixtures/cel/inbound-answered.json``, under N linkedids of its own, an hour
   old) and the service's backfill (every second here)
   rebuilds them while the same live requests go on: calls rebuilt per second (first
   row to last), how long until all N are written, and the live p50 / p99 / max
   during it; the service's CPU and RSS.

In both, the service's AMI event lag p99 (its ``hotline_ami_event_lag`` histogram in
/metrics: its clock minus Asterisk's ``Timestamp`` for every event it read). Events
the live requests cause cannot show a stalled service (no request, no event, while it
is stalled), so the bench's own AMI session also sends a ``UserEvent`` every
``--tick-ms`` whatever the service does — Asterisk's events as calls would bring them,
open loop.

Goal: >= 500 calls/s rebuilt; the live event lag p99 during the rebuild as at rest.

    sudo .venv/bin/python bench/backfill.py [--calls 10000]

Needs the sandbox (`hotline sandbox up`) and nobody else using it (take the e2e lock);
uses a database of its own, dropped after.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ami import AmiClient
from ami.actions import SendUserEvent
from asterisk_conf.sandbox import throwaway
from asterisk_conf.sandbox.sandbox import Sandbox
from bench import roster
from bench.agent_states import leave_no_member, make_roster, sign_in_all, state
from bench.figures import bucket_delta, histogram_buckets, histogram_quantile
from bench.serving import Usage, serve, service_ami
from core.logging import configure_logging
from core.settings import load_settings
from tests import cel_fixtures

HTTP_PORT = 18091
LAG = "hotline_ami_event_lag"


async def toggle(http: aiohttp.ClientSession, api: str, token: str, job: str) -> float:
    """One 置忙 then 示闲; the slower of the two, in ms."""
    worst = 0.0
    for what in ("busy", "idle"):
        began = time.perf_counter()
        await state(http, api, token, job, what)
        worst = max(worst, (time.perf_counter() - began) * 1000)
    return worst


def figures(label: str, ms: list[float], before: dict[str, float], after: dict[str, float]) -> None:
    ms = sorted(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    lag = bucket_delta(histogram_buckets(after, LAG), histogram_buckets(before, LAG))
    print(
        f"  {label}: {len(ms)} live requests, p50 {statistics.median(ms):.1f} ms,"
        f" p99 {p99:.1f} ms, max {ms[-1]:.1f} ms; AMI event lag p99"
        f" {histogram_quantile(0.99, lag) * 1000:.1f} ms over {lag.get(math.inf, 0):.0f} events"
    )


async def ticks(ami: AmiClient, every_s: float) -> None:
    """A UserEvent every ``every_s`` to every AMI session, the service's among them."""
    while True:
        await ami.send(SendUserEvent("HotlineBenchTick"))
        await asyncio.sleep(every_s)


async def put_missed_calls(url: str, count: int) -> float:
    """N calls' CEL rows in one COPY; returns the seconds it took."""
    start = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
    records = [
        tuple(row[k] for k in cel_fixtures.COLUMNS)
        for n in range(count)
        for row in cel_fixtures.inbound_call(n, start + timedelta(milliseconds=100 * n))
    ]
    began = time.perf_counter()
    conn = await asyncpg.connect(url)
    try:
        await conn.copy_records_to_table("cel", records=records, columns=cel_fixtures.COLUMNS)
        # a production cel table grows row by row and autovacuum keeps its statistics;
        # one COPY into an empty table leaves the planner thinking it empty until the
        # next autoanalyze (up to a minute): the rebuild's rate then depends on when
        # that comes (139 to 632 calls/s in runs of the same code)
        await conn.execute("ANALYZE cel")
    finally:
        await conn.close()
    return time.perf_counter() - began


async def rebuild(
    http: aiohttp.ClientSession, api: str, token: str, job: str, *, url: str, count: int
) -> tuple[list[float], list[tuple[float, int]]]:
    """Live requests back to back until all ``count`` calls have their rows; returns
    their times and (time, rows) samples."""
    conn = await asyncpg.connect(url)
    live: list[float] = []
    seen: list[tuple[float, int]] = []
    try:
        deadline = time.perf_counter() + 600
        while time.perf_counter() < deadline:
            live.append(await toggle(http, api, token, job))
            rows = await conn.fetchval("SELECT count(*) FROM calls")
            seen.append((time.perf_counter(), rows))
            if rows >= count:
                break
    finally:
        await conn.close()
    return live, seen


async def during_rebuild(
    http: aiohttp.ClientSession,
    api: str,
    token: str,
    job: str,
    *,
    url: str,
    count: int,
    usage: Usage,
) -> None:
    """The missed calls appear; the rebuild's rate, and the live figures meanwhile."""
    copy_s = await put_missed_calls(url, count)
    print(f"  {count} missed calls' CEL rows written in {copy_s:.1f} s (one COPY, then ANALYZE)")
    cpu0, wall0 = usage.cpu_s(), time.perf_counter()
    before = await roster.scrape(HTTP_PORT)
    live, seen = await rebuild(http, api, token, job, url=url, count=count)
    first = next((at for at, rows in seen if rows > 0), wall0)
    done = seen[-1][0]
    rate = count / max(done - first, 1e-3)
    print(
        f"  rebuilt {seen[-1][1]} of {count} calls: all written {done - wall0:.1f} s"
        f" after the COPY, {rate:.0f} calls/s from the first row to the last"
    )
    figures("during the rebuild", live, before, await roster.scrape(HTTP_PORT))
    cpu = (usage.cpu_s() - cpu0) / max(done - wall0, 1e-3) * 100
    print(f"  service CPU {cpu:.0f} % of a core, RSS {usage.rss_mb():.0f} MB")


async def run(count: int, samples: int, tick_s: float) -> None:
    settings = load_settings(os.environ)
    sandbox = Sandbox(settings)
    secrets = sandbox.ensure_secrets()
    admin_url = sandbox.database_url(secrets)
    name = throwaway.for_bench()
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    log = Path(tempfile.mkdtemp(prefix="hotline-bench-")) / "serve.log"
    api = f"http://127.0.0.1:{HTTP_PORT}/api"
    env = {"HOTLINE_AMI_SECRET": secrets["ami_service"], "HOTLINE_BACKFILL_EVERY_S": "1"}
    cleanup = service_ami(settings, secrets)
    ticker = service_ami(settings, secrets)
    jobs: list[str] = []
    ticking: asyncio.Task[None] | None = None
    try:
        await ticker.start()
        ticking = asyncio.create_task(ticks(ticker, tick_s))
        jobs = await make_roster(url, 1)
        job = jobs[0]
        async with (
            serve(settings, url, log, HTTP_PORT, env) as proc,
            aiohttp.ClientSession() as http,
        ):
            usage = Usage(proc.pid)
            print(f"hotline serve pid {proc.pid}, info log in {log}")
            token = (await sign_in_all(http, api, jobs))[job]
            before = await roster.scrape(HTTP_PORT)
            rest = [await toggle(http, api, token, job) for _ in range(samples)]
            figures("at rest", rest, before, await roster.scrape(HTTP_PORT))

            await during_rebuild(http, api, token, job, url=url, count=count, usage=usage)
            await state(http, api, token, job, "sign_out")
    finally:
        if ticking is not None:
            ticking.cancel()
        await ticker.close()
        if jobs:
            with contextlib.suppress(Exception):
                await cleanup.start()
                await leave_no_member(cleanup, set(jobs))
            await cleanup.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=200, help="live requests at rest")
    parser.add_argument("--tick-ms", type=float, default=20.0, help="open-loop AMI events")
    args = parser.parse_args()
    configure_logging("console", "warning")
    asyncio.run(run(args.calls, args.samples, args.tick_ms / 1000))


if __name__ == "__main__":
    main()
