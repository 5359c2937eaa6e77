"""Helpers for the agent-state end-to-end tests: a roster in a fresh database, the real
service running against the sandbox, desk phones, and what Asterisk says of a member."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from agent_state.pins import hash_pin
from ami import AmiActionFailed, AmiClient
from ami.actions import ExtensionState, QueueStatus
from ami.events import Event, QueueMember
from asterisk_conf.sandbox.sandbox import OBSERVER_USER, Sandbox
from asterisk_conf.sandbox.sipp import DeskPhone, Sipp, SippResult
from core import names
from core.actor import Actor, Role
from core.settings import Settings, load_settings
from db.migrate import migrate
from hotline.serve import Service
from tests.e2e.conftest import EventLog

PIN = "2468"
QUEUE = "12333"


def me(job_number: str) -> Actor:
    """The agent itself, as the web tier would resolve its session."""
    return Actor(job_number, Role.AGENT)


def service_settings(
    settings: Settings, sandbox: Sandbox, database_url: str, http_port: int, **changes: Any
) -> Settings:
    """A test service's settings: its own database and HTTP port, the service's AMI user,
    no CEL backfill during the test; ``changes`` on top."""
    return dataclasses.replace(
        settings,
        http_port=http_port,
        ami_secret=sandbox.ensure_secrets()["ami_service"],
        database_url=database_url,
        backfill_every_s=3600,
        **changes,
    )


def extension_of(job_number: str) -> str:
    return str(int(job_number) + 1000)  # agent 10NN sits at desk phone 20NN


@functools.cache
def _pin_hash() -> str:
    """PIN's hash, made once per run (scrypt costs ~60 ms; any salt verifies)."""
    return hash_pin(PIN)


async def make_roster(database_url: str, agents: dict[str, int]) -> None:
    """Agents (job number -> penalty in queue 12333), all with PIN 2468."""
    conn = await asyncpg.connect(database_url)
    try:
        await migrate(conn)
        pin_hash = _pin_hash()
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


def serve_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment ``hotline serve`` gets in the tests: these settings, JSON logs."""
    return {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "HOTLINE_AMI_SECRET": settings.ami_secret,
        "HOTLINE_HTTP_PORT": str(settings.http_port),
        "HOTLINE_WRAP_UP_S": str(settings.wrap_up_s),
        "HOTLINE_BACKFILL_EVERY_S": str(settings.backfill_every_s),
        "HOTLINE_SCHEDULE_TICK_S": str(settings.schedule_tick_s),
        "HOTLINE_CALLBACK_DISPATCH": str(settings.callback_dispatch).lower(),
        "HOTLINE_VOICEMAIL_SPOOL_DIR": settings.voicemail_spool_dir,
        "HOTLINE_GREETING_PROMPT": settings.greeting_prompt,
        "HOTLINE_LOG_FORMAT": "json",
        "HOTLINE_SANDBOX_DIR": str(settings.sandbox_dir),
        **extra,
    }


@contextlib.asynccontextmanager
async def serve_process(
    settings: Settings,
    *,
    env: dict[str, str] | None = None,
    log: Path | None = None,
    wait_healthy_s: float | None = 15.0,
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``hotline serve`` as a process of its own (so that it can be killed with -9), its
    output in ``log`` or dropped; until its ``/healthz`` answers 200 (at most
    ``wait_healthy_s``; ``None``: not waited for). Terminated at the end."""
    with contextlib.ExitStack() as files:
        out: Any = files.enter_context(log.open("wb")) if log else asyncio.subprocess.DEVNULL
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "from hotline.cli import main; raise SystemExit(main(['serve']))",
            env=env or serve_env(settings),
            stdout=out,
            stderr=out,
        )
    try:
        if wait_healthy_s is not None:
            await _until_healthy(settings.http_port, wait_healthy_s)
        yield proc
    finally:
        if proc.returncode is None:
            proc.terminate()
            await proc.wait()


async def _until_healthy(port: int, timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with aiohttp.ClientSession() as http:
        while loop.time() < deadline:
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                    if r.status == 200:
                        return
            await asyncio.sleep(0.1)


async def sign_in_over_http(http: aiohttp.ClientSession, api: str, job: str) -> dict[str, str]:
    """A session for agent ``job`` and its sign-in, over the API at ``api``; the
    session's headers. The agent is idle after it (its phone is there)."""
    async with http.post(f"{api}/sessions", json={"job_number": job, "pin": PIN}) as r:
        assert r.status == 201, await r.text()
        auth = {"Authorization": f"Bearer {(await r.json())['token']}"}
    async with http.post(
        f"{api}/agents/{job}/state", headers=auth, json={"state": "sign_in", "pin": PIN}
    ) as r:
        body = await r.json()
        assert r.status == 200 and body["state"] == "idle", body
    return auth


async def members(ami: AmiClient, queue: str = QUEUE) -> dict[str, QueueMember]:
    reply = await ami.send(QueueStatus(queue=queue))
    return {e.member_name: e for e in reply.events if isinstance(e, QueueMember)}


async def member_gone(ami: AmiClient, name: str, timeout: float) -> None:
    """Until Asterisk no longer has the member ``name`` in the queue (polled)."""

    async def in_queue() -> bool:
        return name in await members(ami)

    await until_shown(in_queue, False, timeout, f"member {name} in the queue")


async def until_shown(
    probe: Callable[[], Awaitable[Any]], wanted: Any, timeout: float, what: str
) -> None:
    """Until ``await probe()`` gives ``wanted`` (polled every 50 ms), or after ``timeout``
    an AssertionError saying what ``what`` showed last."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while (shown := await probe()) != wanted:
        if loop.time() > deadline:
            raise AssertionError(f"{what} is {shown!r}, not {wanted!r}")
        await asyncio.sleep(0.05)


async def wait_for(condition: Callable[[], bool], timeout: float) -> None:
    """Until ``condition()`` holds (polled), or an AssertionError after ``timeout``."""

    async def holds() -> bool:
        return condition()

    await until_shown(holds, True, timeout, "the condition")


async def wait_state(service: Service, job: str, label: str, timeout: float = 10) -> None:
    assert service.agents is not None
    agents = service.agents.agents

    async def shown() -> str:
        return agents[job].label

    await until_shown(shown, label, timeout, f"agent {job}")


async def lamp_hint(ami: AmiClient, job: str) -> str:
    """The devices behind agent ``job``'s BLF hint in Asterisk now ("" when none)."""
    reply = await ami.send(ExtensionState(names.lamp_extension(job), names.AGENTS))
    return reply.headers.get("Hint", "")


async def lamp_status(ami: AmiClient, job: str) -> int:
    """What agent ``job``'s BLF key shows now (ExtensionState's Status: 0 idle, 1 in
    use, 2 busy, 4 unavailable, 8 ringing, 16 on hold)."""
    reply = await ami.send(ExtensionState(names.lamp_extension(job), names.AGENTS))
    return int(reply.headers.get("Status", "-1"))


async def wait_lamp(ami: AmiClient, job: str, status: int, timeout: float = 5) -> None:
    """Until agent ``job``'s lamp shows ``status``, or an AssertionError with what it shows."""
    await until_shown(lambda: lamp_status(ami, job), status, timeout, f"agent {job}'s lamp")


async def wait_device_state(ami: AmiClient, device: str, state: str, timeout: float = 3) -> None:
    """Until Asterisk has ``device`` (``PJSIP/2001``) in ``state`` (``NOT_INUSE``), or an
    AssertionError with the state it has."""

    async def shown() -> str | None:
        return (await ami.action("Getvar", {"Variable": f"DEVICE_STATE({device})"})).get("Value")

    await until_shown(shown, state, timeout, device)


async def wait_hint(
    ami: AmiClient, job: str, phone: str | None, queue: str | None = None, timeout: float = 5
) -> None:
    """Until agent ``job``'s hint shows desk phone ``phone`` and its member's pause in
    ``queue`` (None: the service's state alone), or an AssertionError with what it shows."""
    wanted = names.lamp_hint(job, phone, queue)
    await until_shown(lambda: lamp_hint(ami, job), wanted, timeout, f"agent {job}'s hint")


def lamp_statuses(observer: EventLog, job: str) -> list[int]:
    """What agent ``job``'s BLF key was told, in order (ExtensionStatus' Status: 0 idle,
    1 in use, 2 busy, 4 unavailable, 8 ringing, 16 on hold)."""
    return [
        int(e.get("Status"))
        for _, e in observer.matching(
            "ExtensionStatus", Exten=names.lamp_extension(job), Context=names.AGENTS
        )
    ]


async def audit(database_url: str, job: str) -> list[dict[str, Any]]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch(
            "SELECT * FROM agent_state_audit WHERE job_number = $1 ORDER BY id", job
        )
        return [dict(r) for r in rows]
    finally:
        await conn.close()


WAITING_MEMBER = "Local/2010@agents-local/n"
WAITING_MEMBER_STATE = "Custom:hltest-waiting"


@contextlib.asynccontextmanager
async def waiting_member(ami: AmiClient, queue: str) -> AsyncIterator[None]:
    """A signed-in member that takes no call (paused, a device that is free): callers
    join the queue and wait there (with nobody signed in, the dial plan sends them on
    to its ``when_nobody`` node)."""
    await ami.action(
        "Setvar", {"Variable": f"DEVICE_STATE({WAITING_MEMBER_STATE})", "Value": "NOT_INUSE"}
    )
    with contextlib.suppress(AmiActionFailed):
        await ami.action("QueueRemove", {"Queue": queue, "Interface": WAITING_MEMBER})
    await ami.action(
        "QueueAdd",
        {
            "Queue": queue,
            "Interface": WAITING_MEMBER,
            "StateInterface": WAITING_MEMBER_STATE,
            "MemberName": "9010",
            "Paused": "true",
            "Reason": "test",
        },
    )
    try:
        yield
    finally:
        await ami.action("QueueRemove", {"Queue": queue, "Interface": WAITING_MEMBER})


async def keyed_call(
    sipp: Sipp, settings: Settings, caller: str, digits: str = "", *, timeout_s: float = 30
) -> SippResult:
    """A caller from the trunk dials the entry number, keys ``digits`` (RFC 2833) once
    answered, and stays until Asterisk hangs up (the dial plan's end)."""
    return await sipp.call(
        settings.entry_number,
        caller=caller,
        digits=digits,
        talk_ms=500,
        until_far_end_hangs_up=True,
        trunk_port=settings.trunk_port,
        timeout_s=timeout_s,
    )
