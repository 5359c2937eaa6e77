"""``hotline demo call``: one real call through the sandbox, its journey printed live.

A SIPp desk phone registers as 2001 and agent 1001 is signed in on it (added paused,
then made idle); SIPp dials 12333 through the trunk; the sandbox's observer AMI user
reports each step; finally the call's row is read back from PostgreSQL, as written by
the running service (or later by its CEL backfill).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import wave
from collections.abc import Callable

import aiohttp
import asyncpg

from ami import AmiActionFailed, AmiClient
from ami.actions import QueueAdd, QueuePause, QueueRemove
from ami.events import (
    AgentCalled,
    AgentComplete,
    AgentConnect,
    Event,
    Hangup,
    Newchannel,
    QueueCallerJoin,
    QueueMemberPause,
    UserEvent,
    call_of,
)
from asterisk_conf.sandbox.sandbox import OBSERVER_USER, Sandbox
from asterisk_conf.sandbox.sipp import Sipp
from calls import repo
from core import names
from core.settings import Settings

CALLER = "13812345678"
JOB_NUMBER, EXTENSION, PHONE_PORT = "1001", "2001", 5071


class Journey:
    """Prints one line per step of the demo call, with seconds since it started."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say
        self.linkedid: str | None = None
        self.started = time.monotonic()
        self.ended = asyncio.Event()
        self.last_pause = ""

    def line(self, text: str) -> None:
        self.say(f"  {time.monotonic() - self.started:5.1f} s  {text}")

    def on_event(self, event: Event) -> None:
        if (
            isinstance(event, Newchannel)
            and event.caller_id_num == CALLER
            and event.context == names.FROM_PSTN
        ):
            self.linkedid = event.linkedid
            self.line(f"{CALLER} dials {event.exten}: the trunk delivers the call")
            return
        if isinstance(event, QueueMemberPause) and event.member_name == JOB_NUMBER:
            text = f"agent {JOB_NUMBER} " + (
                f"paused ({event.paused_reason})" if event.paused else "idle (示闲): unpaused"
            )
            if text != self.last_pause:  # the dialplan and the service both pause at wrap-up
                self.last_pause = text
                self.line(text)
            return
        if self.linkedid is None or not self._of_the_call(event):
            return
        if isinstance(event, UserEvent) and event.user_event == names.EVENT_ENTRY:
            self.line("answered; the greeting plays (R6)")
        elif isinstance(event, UserEvent) and event.user_event == names.EVENT_GREETING:
            self.line(f"greeting done ({event.get('Status')})")
        elif isinstance(event, QueueCallerJoin):
            self.line(f"joins queue {event.queue} at position {event.position}")
        elif isinstance(event, AgentCalled):
            self.line(f"offered to agent {event.member_name}: desk phone rings")
        elif isinstance(event, AgentConnect):
            self.line(f"agent {event.member_name} answers after {event.ring_time_s} s of ringing")
        elif isinstance(event, AgentComplete):
            self.line(f"call ends after {event.talk_time_s} s: {event.reason.value} hung up first")
        elif isinstance(event, Hangup) and event.uniqueid == self.linkedid:
            self.line("caller's channel hung up")
            self.ended.set()

    def _of_the_call(self, event: Event) -> bool:
        """By the event's Linkedid or the member's DestLinkedid; an ``AgentComplete``
        app_queue sent without either channel's headers (``calls.model.call_for``) is
        the demo agent's, whose only call this is."""
        linkedid = call_of(event)
        if linkedid:
            return linkedid == self.linkedid
        return isinstance(event, AgentComplete) and event.member_name == JOB_NUMBER


def greeting_s(sandbox: Sandbox, settings: Settings) -> float:
    """How long the default plan's greeting plays (setting ``greeting_prompt``): the
    caller talks that long and 5 s more (10 s when the file cannot be read)."""
    inside = f"{settings.prompts_dir}/{names.PROMPT_DEFAULT_LANGUAGE}/{settings.greeting_prompt}"
    try:
        with wave.open(str(sandbox.root / f"{inside}.wav".lstrip("/")), "rb") as wav:
            return float(wav.getnframes() / wav.getframerate())
    except (OSError, wave.Error, EOFError):
        return 10.0


async def demo_call(settings: Settings, say: Callable[[str], None] = print) -> int:
    sandbox = Sandbox(settings)
    secrets = sandbox.ensure_secrets()
    journey = Journey(say)
    observer = AmiClient(
        settings.ami_host, settings.ami_port, OBSERVER_USER, secrets["ami_observer"]
    )
    observer.on_event("*", journey.on_event)
    agent_ami = AmiClient(
        settings.ami_host, settings.ami_port, settings.ami_username, secrets["ami_service"]
    )
    sipp = Sipp(sandbox.root, settings.sip_host, settings.sip_port)
    phone = sipp.phone(EXTENSION, secrets["phones"][EXTENSION], PHONE_PORT, PHONE_PORT + 1000)
    interface = names.member_interface(EXTENSION)
    await observer.start()
    await agent_ami.start()
    service_runs = await _service_runs(settings)
    try:
        await phone.start(ring_ms=1000, timeout_s=120)
        await asyncio.sleep(1.0)
        if service_runs:
            say(
                f"desk phone {EXTENSION} registers; agent {JOB_NUMBER} dials "
                f"{settings.feature_sign_in} and keys job number and PIN (签入)"
            )
            pin = secrets.get("demo_pins", {}).get(JOB_NUMBER, "")
            await phone.dial(settings.feature_sign_in, f"{JOB_NUMBER}#{pin}#")
        else:
            say(f"the service is not running: agent {JOB_NUMBER} is signed in directly over AMI")
            with contextlib.suppress(AmiActionFailed):
                await agent_ami.send(QueueRemove(settings.queue, interface))
            await agent_ami.send(
                QueueAdd(settings.queue, interface, JOB_NUMBER, f"PJSIP/{EXTENSION}")
            )
            await agent_ami.send(QueuePause(interface, False, queue=settings.queue))
        journey.started = time.monotonic()
        result = await sipp.call(
            settings.entry_number,
            caller=CALLER,
            caller_name="演示来电",
            talk_ms=int(greeting_s(sandbox, settings) * 1000) + 5000,
            trunk_port=settings.trunk_port,
            timeout_s=60,
        )
        async with asyncio.timeout(10):
            await journey.ended.wait()
        if not result.ok:
            say("the SIPp caller reported a failure:\n" + result.output[-1500:])
            return 1
        return await _show_row(settings, sandbox, secrets, journey, say)
    finally:
        with contextlib.suppress(Exception):
            if service_runs:  # signs out (签出) after the wrap-up, as an agent would
                await phone.dial(settings.feature_sign_out)
            else:
                await agent_ami.send(QueueRemove(settings.queue, interface))
        await phone.stop()
        await agent_ami.close()
        await observer.close()


async def _service_runs(settings: Settings) -> bool:
    url = f"http://{settings.http_host}:{settings.http_port}/healthz"
    try:
        async with (
            aiohttp.ClientSession() as http,
            http.get(url, timeout=aiohttp.ClientTimeout(total=2)) as response,
        ):
            return response.status == 200
    except (aiohttp.ClientError, TimeoutError):
        return False


async def _show_row(
    settings: Settings,
    sandbox: Sandbox,
    secrets: dict[str, str],
    journey: Journey,
    say: Callable[[str], None],
) -> int:
    assert journey.linkedid is not None
    conn = await asyncpg.connect(settings.database_url or sandbox.database_url(secrets))
    try:
        for _ in range(25):
            record = await repo.by_linkedid(conn, journey.linkedid)
            if record is not None:
                journey.line(
                    f"row written ({record.source.value}): outcome={record.outcome.value} "
                    f"agent={record.agent_job_number} hung_up_first={record.hung_up_first.value} "
                    f"ring={record.ring_s}s wait={record.wait_s}s talk={record.talk_s}s"
                )
                say(
                    "see it with a session (POST /api/sessions {job_number, pin}) at "
                    f"http://{settings.http_host}:{settings.http_port}/api/calls"
                    f"?number={CALLER}"
                )
                return 0
            await asyncio.sleep(0.2)
    finally:
        await conn.close()
    say(
        "no row yet: the service is not running (start it with `hotline serve`); "
        "it will backfill this call from Asterisk's CEL when it starts"
    )
    return 0
