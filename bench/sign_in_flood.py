"""Benchmark: a flood of wrong sign-ins does not stall the service (issue 8).

Runs ``hotline serve`` as users run it (a subprocess against the sandbox: AMI watch,
call recorder, info logs) on a database of its own. While 50 wrong sign-ins/s arrive
over HTTP (``POST /api/sessions``) for 10 s, spread over 200 job numbers so the lockout
does not absorb them, it measures:
- an agent's idle request (``POST /api/agents/{job}/state`` after busy) until the
  ``QueueMemberPause`` with ``Paused: 0`` is seen on a separate AMI session (the
  sandbox's observer): p50/p99/max, at rest and under the flood;
- ``GET /healthz`` latency under the flood;
- how many sign-ins were shed (429), refused as wrong (401) or locked (423).

    sudo .venv/bin/python bench/sign_in_flood.py [--rate 50] [--seconds 10]

Needs the sandbox (`hotline sandbox up`); drops its database and stops the service after.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent_state.pins import hash_pin
from ami import AmiClient
from ami.events import Event, QueueMemberPause
from asterisk_conf.sandbox import throwaway
from asterisk_conf.sandbox.sandbox import OBSERVER_USER, Sandbox
from core.settings import load_settings
from db.migrate import migrate

ROOT = Path(__file__).resolve().parent.parent
QUEUE = "12333"
AGENT = "600000"  # the one whose idle request is measured (a Local member, no phone)
FLOODED = [str(600001 + i) for i in range(200)]
PIN = "2468"
WRONG = "0000"
HTTP_PORT = 18_190
AGI_PORT = 14_590


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(values: list[float]) -> str:
    if not values:
        return "no samples"
    return (
        f"p50 {statistics.median(values):.1f} ms, p99 {percentile(values, 99):.1f} ms, "
        f"max {max(values):.1f} ms ({len(values)} samples)"
    )


async def make_roster(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
        pin_hash = hash_pin(PIN)
        jobs = [AGENT, *FLOODED]
        await conn.executemany(
            "INSERT INTO agents (job_number, name, extension, pin_hash) VALUES ($1, $1, $2, $3)",
            [(j, str(int(j) - 600000 + 39000), pin_hash) for j in jobs],
        )
        await conn.executemany("INSERT INTO agent_queues VALUES ($1, $2, 0)", [(AGENT, QUEUE)])
    finally:
        await conn.close()


class Pauses:
    """``QueueMemberPause`` of the measured agent, as the observer sees them."""

    def __init__(self) -> None:
        self.waiter: tuple[bool, asyncio.Future[float]] | None = None

    def on_event(self, event: Event) -> None:
        if not isinstance(event, QueueMemberPause) or event.member_name != AGENT:
            return
        if self.waiter is not None and self.waiter[0] == event.paused:
            if not self.waiter[1].done():
                self.waiter[1].set_result(time.perf_counter())
            self.waiter = None

    def expect(self, paused: bool) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiter = (paused, future)
        return future


async def toggle(
    http: aiohttp.ClientSession, api: str, auth: dict[str, str], pauses: Pauses
) -> float:
    """busy, then the measured idle request until Asterisk unpauses the member (ms)."""
    busy = pauses.expect(True)
    async with http.post(f"{api}/agents/{AGENT}/state", headers=auth, json={"state": "busy"}) as r:
        assert r.status == 200, await r.text()
    async with asyncio.timeout(10):
        await busy
    idle = pauses.expect(False)
    asked = time.perf_counter()
    async with http.post(f"{api}/agents/{AGENT}/state", headers=auth, json={"state": "idle"}) as r:
        assert r.status == 200, await r.text()
    async with asyncio.timeout(30):
        at = await idle
    return (at - asked) * 1000


async def flood(
    http: aiohttp.ClientSession, api: str, rate: int, seconds: float
) -> collections.Counter[int]:
    statuses: collections.Counter[int] = collections.Counter()

    async def one(job: str) -> None:
        try:
            async with http.post(f"{api}/sessions", json={"job_number": job, "pin": WRONG}) as r:
                statuses[r.status] += 1
        except aiohttp.ClientError:
            statuses[0] += 1

    tasks = []
    start = time.perf_counter()
    n = 0
    while time.perf_counter() - start < seconds:
        tasks.append(asyncio.ensure_future(one(FLOODED[n % len(FLOODED)])))
        n += 1
        await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
    await asyncio.gather(*tasks)
    return statuses


async def healthz_probe(http: aiohttp.ClientSession, base: str, stop: asyncio.Event) -> list[float]:
    latencies = []
    while not stop.is_set():
        t0 = time.perf_counter()
        async with http.get(f"{base}/healthz") as r:
            await r.read()
        latencies.append((time.perf_counter() - t0) * 1000)
        await asyncio.sleep(0.1)
    return latencies


async def wait_healthy(
    http: aiohttp.ClientSession, base: str, proc: asyncio.subprocess.Process
) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.returncode is not None:
            raise SystemExit("hotline serve exited; see its log")
        try:
            async with http.get(f"{base}/healthz") as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise SystemExit("hotline serve did not become healthy in 30 s")


async def measure(
    http: aiohttp.ClientSession, base: str, pauses: Pauses, rate: int, seconds: float
) -> None:
    api = f"{base}/api"
    async with http.post(f"{api}/sessions", json={"job_number": AGENT, "pin": PIN}) as r:
        auth = {"Authorization": f"Bearer {(await r.json())['token']}"}
    signed = pauses.expect(False)
    async with http.post(
        f"{api}/agents/{AGENT}/state", headers=auth, json={"state": "sign_in", "pin": PIN}
    ) as r:
        body = await r.json()
        assert r.status == 200, body
    print(f"agent {AGENT} signed in: {body['label']}")
    async with asyncio.timeout(10):
        await signed

    at_rest = [await toggle(http, api, auth, pauses) for _ in range(30)]
    print(f"idle request -> QueueMemberPause(Paused=0), at rest: {summary(at_rest)}")

    stop = asyncio.Event()
    probe = asyncio.ensure_future(healthz_probe(http, base, stop))
    flooding = asyncio.ensure_future(flood(http, api, rate, seconds))
    under: list[float] = []
    while not flooding.done():
        under.append(await toggle(http, api, auth, pauses))
    statuses = await flooding
    stop.set()
    health = await probe
    print(f"idle request -> QueueMemberPause(Paused=0), {rate} wrong sign-ins/s: {summary(under)}")
    print(f"/healthz during the flood: {summary(health)}")
    total = sum(statuses.values())
    print(
        f"sign-ins sent {total}: shed 429 {statuses[429]}, wrong 401 {statuses[401]}, "
        f"locked 423 {statuses[423]}, other {total - statuses[429] - statuses[401] - statuses[423]}"
    )
    async with http.post(
        f"{api}/agents/{AGENT}/state", headers=auth, json={"state": "sign_out"}
    ) as r:
        await r.read()


def count_lines(path: str) -> int:
    with open(path, "rb") as fh:
        return sum(1 for _ in fh)


async def run(rate: int, seconds: float) -> None:
    settings = load_settings(os.environ)
    sandbox = Sandbox(settings)
    secrets = sandbox.ensure_secrets()
    admin_url = sandbox.database_url(secrets)
    name = throwaway.for_bench()
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    observer = AmiClient(
        settings.ami_host, settings.ami_port, OBSERVER_USER, secrets["ami_observer"]
    )
    pauses = Pauses()
    observer.on_event("QueueMemberPause", pauses.on_event)
    log_fd, log_name = tempfile.mkstemp(prefix=f"{name}-", suffix=".log")
    proc = None
    try:
        await make_roster(url)
        await observer.start()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "HOTLINE_HTTP_PORT": str(HTTP_PORT),
            "HOTLINE_AGI_PORT": str(AGI_PORT),
            "HOTLINE_LOG_LEVEL": "info",
            "HOTLINE_LOG_FORMAT": "json",
        }
        with os.fdopen(log_fd, "wb") as log_file:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                "from hotline.cli import main; raise SystemExit(main(['serve']))",
                cwd=ROOT,
                env=env,
                stdout=log_file,
                stderr=log_file,
            )
        base = f"http://127.0.0.1:{HTTP_PORT}"
        connector = aiohttp.TCPConnector(limit=200)
        async with aiohttp.ClientSession(connector=connector) as http:
            await wait_healthy(http, base, proc)
            await measure(http, base, pauses, rate, seconds)
        print(f"service log (info): {count_lines(log_name)} lines in {log_name}")
    finally:
        if proc is not None and proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            async with asyncio.timeout(20):
                await proc.wait()
        await observer.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    asyncio.run(run(args.rate, args.seconds))


if __name__ == "__main__":
    main()
