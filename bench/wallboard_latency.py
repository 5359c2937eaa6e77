"""Benchmark: how soon an agent's state change is on every open wallboard (issue 12).

Runs ``hotline serve`` as users run it (a process of its own, JSON info logs to a
file) on a fresh database with N signed-in agents (Local members whose desk phones
need not exist: nobody calls) and a supervisor; opens C wallboard streams
(``GET /wallboard/events`` with the supervisor's session cookie), while a process of
its own makes R state changes/s over the API for the other half of the agents. Then,
one at a time, an agent's ``POST /api/agents/{job}/state`` (idle, then busy again) is
timed from the request until the change shows on *each* of the C streams; prints
p50 / p99 / max over every (change, stream) pair, the count, and the service's CPU.

Goal: p99 <= 1 s.

    sudo .venv/bin/python bench/wallboard_latency.py [--agents 200] [--clients 20] \
        [--samples 200] [--rate 50]

Needs the sandbox (`hotline sandbox up`) and nobody else using it (take the e2e lock);
uses a database of its own, dropped after, and signs its agents out at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent_state.pins import hash_pin
from asterisk_conf.sandbox import throwaway
from asterisk_conf.sandbox.sandbox import Sandbox
from bench.agent_states import (
    PIN,
    background,
    leave_no_member,
    make_roster,
    percentile,
    sign_in_all,
    state,
)
from bench.serving import Usage, serve, service_ami
from core.actor import Actor, Role
from core.logging import configure_logging
from core.settings import load_settings
from pages.guard import SESSION_COOKIE
from web.sessions import Sessions

HTTP_PORT = 18091
SUPERVISOR = "499999"


class Board:
    """One wallboard stream: every board it receives, checked against what is awaited."""

    def __init__(self, watch: Watch) -> None:
        self.watch = watch
        self.boards = 0

    async def follow(self, response: aiohttp.ClientResponse) -> None:
        buffer = b""
        async for chunk in response.content.iter_any():
            buffer += chunk
            while b"\n\n" in buffer:
                event, buffer = buffer.split(b"\n\n", 1)
                if event.startswith(b"event: board"):
                    board = json.loads(event.split(b"data: ", 1)[1])
                    self.boards += 1
                    self.watch.seen(self, board, time.perf_counter())


class Watch:
    """The change awaited: (job, state); when each board first showed it."""

    def __init__(self) -> None:
        self.job = ""
        self.state = ""
        self.asked = 0.0
        self.seen_at: dict[Board, float] = {}
        self.all_seen = asyncio.Event()
        self.clients = 0

    def expect(self, job: str, state: str, clients: int) -> None:
        self.job, self.state, self.clients = job, state, clients
        self.seen_at = {}
        self.all_seen.clear()
        self.asked = time.perf_counter()

    def seen(self, board_client: Board, board: dict[str, Any], at: float) -> None:
        if not self.job or board_client in self.seen_at:
            return
        for agent in board["agents"]:
            if agent["job"] == self.job:
                if agent["state"] == self.state:
                    self.seen_at[board_client] = at
                    if len(self.seen_at) == self.clients:
                        self.all_seen.set()
                return


async def open_boards(
    http: aiohttp.ClientSession, base: str, cookie: str, count: int, watch: Watch
) -> tuple[list[Board], list[asyncio.Task[None]]]:
    boards, tasks = [], []
    for _ in range(count):
        response = await http.get(
            f"{base}/wallboard/events",
            headers={"Cookie": f"{SESSION_COOKIE}={cookie}"},
            timeout=aiohttp.ClientTimeout(total=None, sock_read=None),
        )
        if response.status != 200:
            raise RuntimeError(f"wallboard stream: {response.status} {await response.text()}")
        board = Board(watch)
        boards.append(board)
        tasks.append(asyncio.create_task(board.follow(response)))
    return boards, tasks


async def measure(
    http: aiohttp.ClientSession,
    api: str,
    *,
    watch: Watch,
    boards: list[Board],
    tokens: dict[str, str],
    jobs: list[str],
    samples: int,
) -> list[float]:
    """Each sample: idle (or busy) requested -> shown on every board, in ms, per board."""
    latencies: list[float] = []
    for i in range(samples):
        job = jobs[(i // 2) % len(jobs)]
        what = "idle" if i % 2 == 0 else "busy"
        watch.expect(job, what, len(boards))
        await state(http, api, tokens[job], job, what)
        async with asyncio.timeout(10):
            await watch.all_seen.wait()
        latencies.extend((at - watch.asked) * 1000 for at in watch.seen_at.values())
    watch.job = ""
    return latencies


async def make_supervisor(url: str) -> str:
    """A supervisor, and a session for its cookie."""
    pool = await asyncpg.create_pool(url, min_size=1, max_size=1)
    try:
        await pool.execute(
            "INSERT INTO agents (job_number, name, role, pin_hash)"
            " VALUES ($1, $1, 'supervisor', $2)",
            SUPERVISOR,
            hash_pin(PIN),
        )
        return await Sessions(pool).create(Actor(SUPERVISOR, Role.SUPERVISOR))
    finally:
        await pool.close()


def report(what: str, latencies: list[float], usage: Usage, cpu0: float, wall0: float) -> None:
    wall = time.perf_counter() - wall0
    cpu = 100 * (usage.cpu_s() - cpu0) / wall
    print(
        f"{what}: state change request -> on every wallboard, {len(latencies)} (change, board)"
        f" pairs: p50 {statistics.median(latencies):.1f} ms, p99 {percentile(latencies, 99):.1f}"
        f" ms, max {max(latencies):.1f} ms; service CPU {cpu:.1f} % of one core, "
        f"RSS {usage.rss_mb():.0f} MB"
    )


async def phases(
    http: aiohttp.ClientSession,
    base: str,
    usage: Usage,
    *,
    cookie: str,
    tokens: dict[str, str],
    jobs: list[str],
    clients: int,
    samples: int,
    rate: float,
) -> list[asyncio.Task[None]]:
    """The boards open; measured at rest, then with ``rate`` changes/s in the background."""
    api = f"{base}/api"
    watch = Watch()
    boards, tasks = await open_boards(http, base, cookie, clients, watch)
    print(f"{clients} wallboards open")
    half = len(jobs) // 2
    measured, toggling = jobs[:half], jobs[half:]

    cpu0, wall0 = usage.cpu_s(), time.perf_counter()
    latencies = await measure(
        http, api, watch=watch, boards=boards, tokens=tokens, jobs=measured,
        samples=samples,
    )  # fmt: skip
    report("at rest", latencies, usage, cpu0, wall0)

    spawn = multiprocessing.get_context("spawn")
    stop = spawn.Event()
    loader = spawn.Process(
        target=background, args=(api, {j: tokens[j] for j in toggling}, rate, stop)
    )
    loader.start()
    await asyncio.sleep(2)  # pacing: let the background load reach its rate
    cpu0, wall0 = usage.cpu_s(), time.perf_counter()
    latencies = await measure(
        http, api, watch=watch, boards=boards, tokens=tokens, jobs=measured,
        samples=samples,
    )  # fmt: skip
    report(f"with {rate:g} changes/s in the background", latencies, usage, cpu0, wall0)
    stop.set()
    await asyncio.to_thread(loader.join)
    print(f"boards received per stream: {min(b.boards for b in boards)} at least")
    for task in tasks:
        task.cancel()
    return tasks


async def run(agents: int, clients: int, samples: int, rate: float) -> None:
    settings = load_settings(os.environ)
    sandbox = Sandbox(settings)
    secrets = sandbox.ensure_secrets()
    admin_url = sandbox.database_url(secrets)
    name = throwaway.for_bench()
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    log = Path(tempfile.mkdtemp(prefix="hotline-bench-")) / "serve.log"
    base = f"http://127.0.0.1:{HTTP_PORT}"
    api = f"{base}/api"
    cleanup = service_ami(settings, secrets)
    jobs: list[str] = []
    tasks: list[asyncio.Task[None]] = []
    try:
        jobs = await make_roster(url, agents)
        cookie = await make_supervisor(url)
        async with (
            serve(
                settings, url, log, HTTP_PORT, {"HOTLINE_AMI_SECRET": secrets["ami_service"]}
            ) as proc,
            aiohttp.ClientSession() as http,
        ):
            usage = Usage(proc.pid)
            print(f"hotline serve pid {proc.pid}, info log in {log}")
            tokens = await sign_in_all(http, api, jobs)
            print(f"{agents} agents signed in and busy over HTTP")
            tasks = await phases(
                http, base, usage, cookie=cookie, tokens=tokens, jobs=jobs, clients=clients,
                samples=samples, rate=rate,
            )  # fmt: skip
            for job in jobs:
                await state(http, api, tokens[job], job, "sign_out")
    finally:
        for task in tasks:
            task.cancel()
        if jobs:
            with contextlib.suppress(Exception):
                await cleanup.start()
                await leave_no_member(cleanup, set(jobs))
            await cleanup.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50.0, help="background changes/s")
    args = parser.parse_args()
    configure_logging("console", "warning")
    asyncio.run(run(args.agents, args.clients, args.samples, args.rate))


if __name__ == "__main__":
    main()
