"""The benches' agents on the bench phones: a database of their own with a roster, the
service's sign-in over HTTP (as agents do it), members for "Asterisk alone" over AMI,
and the service's /metrics and process figures."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from agent_state.pins import hash_pin
from ami import AmiClient
from ami.actions import QueueAdd, QueueRemove
from asterisk_conf.sandbox import throwaway
from bench.callpath import alone_interface, phone_extension
from bench.figures import parse_metrics
from db.migrate import migrate

FIRST_JOB = 500000
PIN = "2468"
SIGN_IN_CONCURRENCY = 4  # below HOTLINE_SIGN_IN_PENDING_MAX (two PIN checks each)


def job_number(i: int) -> str:
    return str(FIRST_JOB + i)


@contextlib.asynccontextmanager
async def bench_database(admin_url: str, agents: int) -> AsyncIterator[str]:
    """A fresh database with ``agents`` agents (PIN ``PIN``) in ``queue``; dropped after."""
    name = throwaway.for_bench()
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        conn = await asyncpg.connect(url)
        try:
            await migrate(conn)
            pin_hash = hash_pin(PIN)
            await conn.executemany(
                "INSERT INTO agents (job_number, name, extension, pin_hash)"
                " VALUES ($1, $1, $2, $3)",
                [(job_number(i), phone_extension(i), pin_hash) for i in range(agents)],
            )
        finally:
            await conn.close()
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def add_queue_rows(url: str, queue: str, agents: int) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.executemany(
            "INSERT INTO agent_queues VALUES ($1, $2, 0)",
            [(job_number(i), queue) for i in range(agents)],
        )
    finally:
        await conn.close()


async def _post(
    http: aiohttp.ClientSession, url: str, body: dict[str, str], token: str | None = None
) -> dict[str, object]:
    """POST, again after the pause the service asks for while its PIN checks are full
    (429 ``agent.sign_in_overloaded``: the sign-in's load shedding, not a failure)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    for _ in range(60):
        async with http.post(url, headers=headers, json=body) as r:
            if r.status == 429:
                await asyncio.sleep(float((await r.json()).get("retry_after_s", 1)))
                continue
            if not r.ok:
                raise RuntimeError(f"{url} {body.get('state', '')}: {r.status} {await r.text()}")
            answer: dict[str, object] = await r.json()
            return answer
    raise RuntimeError(f"{url}: still refused as overloaded after a minute")


async def _state(
    http: aiohttp.ClientSession, api: str, token: str, job: str, what: str, **extra: str
) -> None:
    await _post(http, f"{api}/agents/{job}/state", {"state": what, **extra}, token)


async def sign_in(api: str, agents: int, idle: int) -> dict[str, str]:
    """Every agent signed in over HTTP; the first ``idle`` made idle, the rest busy.
    Returns their session tokens."""
    tokens: dict[str, str] = {}
    gate = asyncio.Semaphore(SIGN_IN_CONCURRENCY)

    async def one(http: aiohttp.ClientSession, i: int) -> None:
        job = job_number(i)
        async with gate:
            session = await _post(http, f"{api}/sessions", {"job_number": job, "pin": PIN})
            tokens[job] = str(session["token"])
            await _state(http, api, tokens[job], job, "sign_in", pin=PIN)
            await _state(http, api, tokens[job], job, "idle" if i < idle else "busy")

    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(one(http, i) for i in range(agents)))
    return tokens


async def sign_out(api: str, tokens: dict[str, str]) -> None:
    gate = asyncio.Semaphore(SIGN_IN_CONCURRENCY)

    async def one(http: aiohttp.ClientSession, job: str, token: str) -> None:
        async with gate:
            with contextlib.suppress(RuntimeError, aiohttp.ClientError):
                await _state(http, api, token, job, "sign_out")

    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(one(http, job, token) for job, token in tokens.items()))


@contextlib.asynccontextmanager
async def alone_members(ami: AmiClient, queue: str, agents: int) -> AsyncIterator[None]:
    """ "Asterisk alone": the members added unpaused straight over AMI (no service),
    removed afterwards."""
    for i in range(agents):
        ext = phone_extension(i)
        await ami.send(
            QueueAdd(
                queue,
                alone_interface(ext),
                job_number(i),
                f"PJSIP/{ext}",
                paused=False,
            )
        )
    try:
        yield
    finally:
        for i in range(agents):
            with contextlib.suppress(Exception):
                await ami.send(QueueRemove(queue, alone_interface(phone_extension(i))))


async def scrape(port: int) -> dict[str, float]:
    """The service's /metrics as samples (empty when it does not answer)."""
    with contextlib.suppress(aiohttp.ClientError, OSError):
        async with (
            aiohttp.ClientSession() as http,
            http.get(f"http://127.0.0.1:{port}/metrics") as r,
        ):
            return parse_metrics(await r.text())
    return {}


def open_fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def cpu_s(pid: int | None) -> float:
    """User + system CPU seconds of a process (0 when it is gone)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[int]:
    """Every PostgreSQL process on the machine (the sandbox's)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
    return pids


def postgres_cpu_s() -> float:
    """CPU seconds of every PostgreSQL process on the machine (the sandbox's)."""
    return sum(cpu_s(pid) for pid in postgres_pids())


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


async def count(url: str, sql: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        value: Any = await conn.fetchval(sql)
        return int(value or 0)
    finally:
        await conn.close()


async def settle(url: str, sql: str, wanted: int, *, within_s: float) -> int:
    """``sql``'s count once it reaches ``wanted``, or what it is after ``within_s``."""
    deadline = time.monotonic() + within_s
    while True:
        got = await count(url, sql)
        if got >= wanted or time.monotonic() >= deadline:
            return got
        await asyncio.sleep(0.2)
