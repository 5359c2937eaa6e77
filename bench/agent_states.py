"""Benchmark: what an agent gets from the real service (issue 8).

Runs ``hotline serve`` as users run it (a process of its own, info logs to a file,
watch, reconcile, call recorder) on a fresh database with N signed-in agents (Local
members whose desk phones need not exist: nobody calls the queue during the run, so no
member is rung), then prints, for an agent's idle request over HTTP with a session
(``POST /api/agents/{job}/state {"state": "idle"}`` after ``busy``) until the
``QueueMemberPause`` (Paused=0) of its member is seen on a separate AMI session (the
sandbox's observer user):
- p50 / p99 / max at rest, and while other agents make R state changes/s over HTTP in
  the background (a process of its own, so that its work does not delay our clock);
- the service process's CPU and PostgreSQL's (% of one core) and the service's RSS in
  each phase, from /proc; at rest, where every request is the bench's, their CPU a
  request (each request one agent change: a stored transition and its audit row).

Goal: p99 <= 10 ms under 100 changes/s with 1,000 agents.

    sudo .venv/bin/python bench/agent_states.py [--agents 1000] [--samples 500] [--rate 100]

Needs the sandbox (`hotline sandbox up`) and nobody else using it (take the e2e lock);
uses a database of its own, dropped after, and signs its agents out at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent_state.pins import hash_pin
from ami import AmiClient
from ami.actions import QueueRemove, QueueStatus
from ami.events import Event, QueueMember, QueueMemberPause
from asterisk_conf.sandbox import throwaway
from asterisk_conf.sandbox.sandbox import OBSERVER_USER, Sandbox
from bench import roster
from bench.serving import Usage, serve, service_ami
from core.logging import configure_logging
from core.settings import load_settings
from db.migrate import migrate

QUEUE = "12333"
FIRST_JOB = 500000
FIRST_EXTENSION = 50000  # no desk phone has these (the capacity bench's phones are 30000…39999)
PIN = "2468"
HTTP_PORT = 18090


async def make_roster(url: str, count: int) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
        jobs = [str(FIRST_JOB + i) for i in range(count)]
        pin_hash = hash_pin(PIN)
        await conn.executemany(
            "INSERT INTO agents (job_number, name, extension, pin_hash) VALUES ($1, $1, $2, $3)",
            [(j, str(int(j) - FIRST_JOB + FIRST_EXTENSION), pin_hash) for j in jobs],
        )
        await conn.executemany(
            "INSERT INTO agent_queues VALUES ($1, $2, 0)", [(j, QUEUE) for j in jobs]
        )
        return jobs
    finally:
        await conn.close()


class Unpauses:
    """The observer's view: when each member was last seen paused or unpaused."""

    def __init__(self) -> None:
        self.waiting: dict[tuple[str, bool], asyncio.Future[float]] = {}

    def expect(self, job: str, paused: bool) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[(job, paused)] = future
        return future

    def on_event(self, event: Event) -> None:
        if isinstance(event, QueueMemberPause):
            future = self.waiting.pop((event.member_name, event.paused), None)
            if future is not None and not future.done():
                future.set_result(time.perf_counter())


async def state(
    http: aiohttp.ClientSession, api: str, token: str, job: str, what: str, **extra: str
) -> dict[str, Any]:
    async with http.post(
        f"{api}/agents/{job}/state",
        headers={"Authorization": f"Bearer {token}"},
        json={"state": what, **extra},
    ) as r:
        body: dict[str, Any] = await r.json()
        if r.status != 200:
            raise RuntimeError(f"{what} for {job}: {r.status} {body}")
        return body


async def sign_in_all(http: aiohttp.ClientSession, api: str, jobs: list[str]) -> dict[str, str]:
    tokens = {}
    for job in jobs:
        async with http.post(f"{api}/sessions", json={"job_number": job, "pin": PIN}) as r:
            if not r.ok:
                raise RuntimeError(f"session for {job}: {r.status} {await r.text()}")
            tokens[job] = (await r.json())["token"]
        await state(http, api, tokens[job], job, "sign_in", pin=PIN)
        await state(http, api, tokens[job], job, "busy")
    return tokens


async def measure(
    http: aiohttp.ClientSession,
    api: str,
    *,
    observer: Unpauses,
    tokens: dict[str, str],
    jobs: list[str],
    samples: int,
) -> list[float]:
    """Idle request -> QueueMemberPause(Paused=0) seen, in ms; each agent back to busy."""
    latencies = []
    for i in range(samples):
        job = jobs[i % len(jobs)]
        unpaused = observer.expect(job, False)
        asked = time.perf_counter()
        await state(http, api, tokens[job], job, "idle")
        async with asyncio.timeout(5):
            at = await unpaused
        latencies.append((at - asked) * 1000)
        paused = observer.expect(job, True)
        await state(http, api, tokens[job], job, "busy")
        async with asyncio.timeout(5):
            await paused
    return latencies


def background(api: str, tokens: dict[str, str], rate: float, stop: Any) -> None:
    """A process of its own: ``rate`` state changes/s over HTTP, agents toggling."""

    async def run() -> None:
        period, n, errors = 1 / rate, 0, 0
        idle = dict.fromkeys(tokens, False)
        jobs = sorted(tokens)
        pending: set[asyncio.Task[Any]] = set()
        async with aiohttp.ClientSession() as http:
            start = time.perf_counter()
            while not stop.is_set():
                job = jobs[n % len(jobs)]
                idle[job] = not idle[job]
                task = asyncio.create_task(
                    state(http, api, tokens[job], job, "idle" if idle[job] else "busy")
                )
                pending.add(task)
                task.add_done_callback(pending.discard)
                n += 1
                await asyncio.sleep(max(0.0, start + n * period - time.perf_counter()))
            results = await asyncio.gather(*pending, return_exceptions=True)
            errors = sum(isinstance(r, Exception) for r in results)
            # leave every background agent busy, as they started
            for job in [j for j, is_idle in idle.items() if is_idle]:
                await state(http, api, tokens[job], job, "busy")
        print(f"  background: {n} changes in {time.perf_counter() - start:.1f} s, {errors} failed")

    asyncio.run(run())


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


@dataclass(frozen=True)
class Mark:
    """Where the clocks were as a phase began: wall, the service's CPU, PostgreSQL's."""

    wall: float
    cpu: float
    pg: float

    @classmethod
    def now(cls, usage: Usage) -> Mark:
        return cls(time.perf_counter(), usage.cpu_s(), roster.postgres_cpu_s())


def report(
    what: str, latencies: list[float], usage: Usage, mark: Mark, *, requests: int = 0
) -> None:
    """``requests``: every request of the phase, when all are ours (CPU a request)."""
    wall = time.perf_counter() - mark.wall
    cpu_s = usage.cpu_s() - mark.cpu
    pg_s = roster.postgres_cpu_s() - mark.pg
    a_request = (
        f"; CPU a request: the service {1000 * cpu_s / requests:.2f} ms,"
        f" PostgreSQL {1000 * pg_s / requests:.2f} ms"
        if requests
        else ""
    )
    print(
        f"{what}: idle request -> QueueMemberPause(Paused=0), {len(latencies)} requests"
        f" (each then busy again: {2 * len(latencies) / wall:.0f} requests/s): "
        f"p50 {statistics.median(latencies):.2f} ms, p99 {percentile(latencies, 99):.2f} ms, "
        f"max {max(latencies):.2f} ms; service CPU {100 * cpu_s / wall:.1f} % of one core, "
        f"PostgreSQL's {100 * pg_s / wall:.1f} %, RSS {usage.rss_mb():.0f} MB{a_request}"
    )


async def leave_no_member(ami: AmiClient, jobs: set[str]) -> None:
    reply = await ami.send(QueueStatus(queue=QUEUE))
    for member in reply.events:
        if isinstance(member, QueueMember) and member.member_name in jobs:
            with contextlib.suppress(Exception):
                await ami.send(QueueRemove(QUEUE, member.interface))


async def run(agents: int, samples: int, rate: float) -> None:
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
    unpauses = Unpauses()
    observer = AmiClient(
        settings.ami_host, settings.ami_port, OBSERVER_USER, secrets["ami_observer"]
    )
    observer.on_event("QueueMemberPause", unpauses.on_event)
    cleanup = service_ami(settings, secrets)
    jobs: list[str] = []
    try:
        jobs = await make_roster(url, agents)
        await observer.start()
        async with (
            serve(
                settings, url, log, HTTP_PORT, {"HOTLINE_AMI_SECRET": secrets["ami_service"]}
            ) as proc,
            aiohttp.ClientSession() as http,
        ):
            usage = Usage(proc.pid)
            print(f"hotline serve pid {proc.pid}, info log in {log}")
            began = time.perf_counter()
            tokens = await sign_in_all(http, api, jobs)
            print(
                f"{agents} agents signed in and busy over HTTP"
                f" in {time.perf_counter() - began:.0f} s"
            )
            measured, toggling = jobs[: agents // 2], jobs[agents // 2 :]

            mark = Mark.now(usage)
            report(
                "at rest",
                await measure(
                    http, api, observer=unpauses, tokens=tokens, jobs=measured, samples=samples
                ),
                usage,
                mark,
                requests=2 * samples,
            )

            spawn = multiprocessing.get_context("spawn")
            stop = spawn.Event()
            loader = spawn.Process(
                target=background, args=(api, {j: tokens[j] for j in toggling}, rate, stop)
            )
            loader.start()
            await asyncio.sleep(2)  # pacing: let the background load reach its rate
            mark = Mark.now(usage)
            latencies = await measure(
                http, api, observer=unpauses, tokens=tokens, jobs=measured, samples=samples
            )
            report(f"with {rate:g} changes/s in the background", latencies, usage, mark)
            stop.set()
            await asyncio.to_thread(loader.join)

            for job in jobs:
                await state(http, api, tokens[job], job, "sign_out")
    finally:
        await observer.close()
        if jobs:
            with contextlib.suppress(Exception):
                await cleanup.start()
                await leave_no_member(cleanup, set(jobs))
            await cleanup.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=500)
    parser.add_argument("--rate", type=float, default=100.0, help="background changes/s")
    args = parser.parse_args()
    configure_logging("console", "warning")
    asyncio.run(run(args.agents, args.samples, args.rate))


if __name__ == "__main__":
    main()
