"""Benchmark: agent state changes carried into the sandbox's real Asterisk (issue 5).

With N signed-in agents (Local members need no phones), prints:
- p50/p99 from an agent's idle request to the member unpaused in Asterisk (the
  ``QueueMemberPause`` event seen on AMI); goal p99 <= 10 ms;
- the service's CPU while 200 agents change state at a steady rate; goal <= 20 % of one
  core at 10 changes/s.

    sudo .venv/bin/python bench/agent_states.py [--agents 1000] [--samples 500]

Needs the sandbox (`hotline sandbox up`); uses a database of its own, dropped after, and
removes its members from the queue at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent_state.carrier import AsteriskCarrier
from agent_state.model import GoBusy, GoIdle, SignIn, SignOut, Source
from agent_state.service import AgentService
from ami import AmiClient
from ami.events import Event, QueueMemberPause
from asterisk_conf.sandbox.sandbox import Sandbox
from core.logging import configure_logging
from core.settings import load_settings
from db.migrate import migrate

QUEUE = "12333"
FIRST_JOB = 500000


async def make_roster(url: str, count: int) -> None:
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
        jobs = [str(FIRST_JOB + i) for i in range(count)]
        await conn.executemany(
            "INSERT INTO agents (job_number, name, extension, pin_hash) VALUES ($1, $1, $2, 'x')",
            [(j, str(int(j) - FIRST_JOB + 30000)) for j in jobs],
        )
        await conn.executemany(
            "INSERT INTO agent_queues VALUES ($1, $2, 0)", [(j, QUEUE) for j in jobs]
        )
    finally:
        await conn.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def run(agents: int, samples: int) -> None:  # noqa: PLR0915 - one linear script
    settings = load_settings(os.environ)
    sandbox = Sandbox(settings)
    secrets = sandbox.ensure_secrets()
    admin_url = sandbox.database_url(secrets)
    name = f"hotline_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    ami = AmiClient(
        settings.ami_host,
        settings.ami_port,
        settings.ami_username,
        secrets["ami_service"],
        action_timeout=30,
    )
    unpaused: dict[str, asyncio.Future[float]] = {}

    def on_pause(event: Event) -> None:
        if isinstance(event, QueueMemberPause) and not event.paused:
            waiter = unpaused.pop(event.member_name, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(time.perf_counter())

    ami.on_event("QueueMemberPause", on_pause)
    pool = None
    service = None
    try:
        await make_roster(url, agents)
        pool = await asyncpg.create_pool(url, min_size=4, max_size=8)
        await ami.start()
        service = AgentService(
            pool, AsteriskCarrier(ami, on_failure=lambda job: None), wrap_up_s=30
        )
        await service.load()
        jobs = sorted(service.members)
        started = time.perf_counter()
        for job in jobs:
            await service.apply(job, SignIn(source=Source.SYSTEM))
            await service.apply(job, GoBusy(source=Source.SYSTEM))
        print(f"{agents} agents signed in and busy in {time.perf_counter() - started:.1f} s")

        latencies = []
        for i in range(samples):
            job = jobs[i % len(jobs)]
            loop = asyncio.get_running_loop()
            waiter: asyncio.Future[float] = loop.create_future()
            unpaused[job] = waiter
            asked = time.perf_counter()
            await service.apply(job, GoIdle(source=Source.WEB))
            seen = await asyncio.wait_for(waiter, 5)
            latencies.append((seen - asked) * 1000)
            await service.apply(job, GoBusy(source=Source.WEB))
        print(
            f"idle request -> QueueMemberPause(unpaused) over {samples} requests: "
            f"p50 {statistics.median(latencies):.2f} ms, p99 {percentile(latencies, 99):.2f} ms,"
            f" max {max(latencies):.2f} ms"
        )

        for rate in (10, 100):
            changing = jobs[:200]
            period = 1 / rate
            cpu0, wall0 = time.process_time(), time.perf_counter()
            n = 0
            while time.perf_counter() - wall0 < 10:
                job = changing[n % len(changing)]
                agent = service.agents[job]
                event = (
                    GoBusy(source=Source.WEB)
                    if agent.label == "idle"
                    else GoIdle(source=Source.WEB)
                )
                await service.apply(job, event)
                n += 1
                await asyncio.sleep(max(0.0, wall0 + n * period - time.perf_counter()))
            wall = time.perf_counter() - wall0
            cpu = time.process_time() - cpu0
            print(
                f"200 agents, {rate} changes/s for {wall:.0f} s: service CPU "
                f"{100 * cpu / wall:.1f} % of one core ({n} changes)"
            )
    finally:
        if service is not None:
            for job in sorted(service.members):
                await service.apply(job, SignOut(source=Source.SYSTEM))
            service.stop()
        await ami.close()
        if pool is not None:
            await pool.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", type=int, default=1000)
    parser.add_argument("--samples", type=int, default=500)
    args = parser.parse_args()
    configure_logging("console", "warning")
    asyncio.run(run(args.agents, args.samples))


if __name__ == "__main__":
    main()
