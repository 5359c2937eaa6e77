"""Helpers for the agent-state end-to-end tests: a roster in a fresh database, the real
service running against the sandbox, desk phones, and what Asterisk says of a member."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

import asyncpg

from agent_state.pins import hash_pin
from ami import AmiClient
from ami.actions import QueueStatus
from ami.events import Event, QueueMember
from asterisk_conf.sandbox.sandbox import OBSERVER_USER
from asterisk_conf.sandbox.sipp import DeskPhone, Sipp
from core.actor import Actor, Role
from core.settings import Settings, load_settings
from db.migrate import migrate
from hotline.serve import Service

PIN = "2468"
QUEUE = "12333"


def me(job_number: str) -> Actor:
    """The agent itself, as the web tier would resolve its session."""
    return Actor(job_number, Role.AGENT)


def extension_of(job_number: str) -> str:
    return str(int(job_number) + 1000)  # agent 10NN sits at desk phone 20NN


async def make_roster(database_url: str, agents: dict[str, int]) -> None:
    """Agents (job number -> penalty in queue 12333), all with PIN 2468."""
    conn = await asyncpg.connect(database_url)
    try:
        await migrate(conn)
        pin_hash = hash_pin(PIN)
        for job, penalty in agents.items():
            await conn.execute(
                "INSERT INTO agents (job_number, name, extension, pin_hash) "
                "VALUES ($1, $2, $3, $4)",
                job,
                f"坐席{job}",
                extension_of(job),
                pin_hash,
            )
            await conn.execute("INSERT INTO agent_queues VALUES ($1, $2, $3)", job, QUEUE, penalty)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def running_service(settings: Settings, **changes: Any) -> AsyncIterator[Service]:
    service = Service(dataclasses.replace(settings, **changes))
    await service.start()
    try:
        assert service.reconciler is not None
        await service.reconciler.run()  # the start-up reconcile, done before the test acts
        yield service
    finally:
        await service.stop()


@contextlib.asynccontextmanager
async def phones(
    sipp: Sipp, secrets: dict[str, Any], jobs: list[str], **options: Any
) -> AsyncIterator[dict[str, DeskPhone]]:
    """Registered SIPp desk phones for these agents, answering (options: ring_ms, …),
    each one's contact Reachable (its first qualify answered) before the test acts."""
    settings = load_settings(os.environ)
    reachable: set[str] = set()
    changed = asyncio.Event()

    def on_contact(event: Event) -> None:
        if event.get("ContactStatus") == "Reachable":
            reachable.add(event.get("AOR"))
            changed.set()

    watcher = AmiClient(
        settings.ami_host, settings.ami_port, OBSERVER_USER, secrets["ami_observer"]
    )
    watcher.on_event("ContactStatus", on_contact)
    await watcher.start()  # listening before the phones register: no Reachable is missed
    started: dict[str, DeskPhone] = {}
    try:
        for job in jobs:
            ext = extension_of(job)
            port = 5000 + int(ext) % 100 + 70  # 2001 -> 5071
            phone = sipp.phone(ext, secrets["phones"][ext], port, port + 1000)
            await phone.start(**options)
            started[job] = phone
        wanted = {extension_of(job) for job in jobs}
        try:
            async with asyncio.timeout(15):
                while not wanted <= reachable:
                    changed.clear()
                    await changed.wait()
        except TimeoutError:
            raise AssertionError(f"no Reachable contact for {sorted(wanted - reachable)}") from None
        yield started
    finally:
        await watcher.close()
        for phone in started.values():
            await phone.stop()


async def members(ami: AmiClient) -> dict[str, QueueMember]:
    reply = await ami.send(QueueStatus(queue=QUEUE))
    return {e.member_name: e for e in reply.events if isinstance(e, QueueMember)}


async def wait_for(condition: Callable[[], bool], timeout: float) -> None:
    """Until ``condition()`` holds (polled), or an AssertionError after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("the condition did not come true in time")
        await asyncio.sleep(0.05)


async def wait_state(service: Service, job: str, label: str, timeout: float = 10) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    assert service.agents is not None
    while loop.time() < deadline:
        if service.agents.agents[job].label == label:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"agent {job} is {service.agents.agents[job].label}, not {label}")


async def audit(database_url: str, job: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT * FROM agent_state_audit WHERE job_number = $1 ORDER BY id", job
        )
        return [dict(r) for r in rows]
    finally:
        await conn.close()
