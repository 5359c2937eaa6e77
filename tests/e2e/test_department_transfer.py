"""R11b on the real Asterisk: an agent's desk phone (SIPp) answers a queued caller (a
SIPp phone); the service transfers the CALLER to a department — finds the caller's
channel through AMI as its own least-privilege user, sets the number on it and
redirects it to ``names.TRANSFER`` — and the outbound trunk's SIPp UAS (the department)
receives the INVITE for the department's number."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from ami import AmiClient
from ami.errors import AmiActionFailed
from ami.events import Event as AmiEvent
from asterisk_conf.sandbox.sipp import Sipp
from core import names
from core.settings import Settings
from departments.service import DepartmentService
from tests.e2e.conftest import EventLog
from tests.e2e.telephony import empty, originate_into_queue
from tests.e2e.test_call_records import idle_agent
from tests.e2e.test_job_number_announce import (
    AGENT_EXT,
    AGENT_JOB,
    AGENT_PORT,
    CALLER_EXT,
    caller_phone,  # noqa: F401 - a fixture
)
from tests.e2e.test_outbound_trunk import DEPARTMENT, department


async def test_the_caller_is_transferred_to_the_departments_number(
    settings: Settings,
    service_ami: AmiClient,
    observer: EventLog,
    sipp: Sipp,
    secrets: dict,
    caller_phone: object,  # noqa: F811
) -> None:
    await empty(service_ami, settings.queue)
    service = DepartmentService(None, service_ami, None)  # type: ignore[arg-type]
    async with (
        idle_agent(
            service_ami,
            sipp,
            secrets,
            settings.queue,
            AGENT_JOB,
            AGENT_EXT,
            AGENT_PORT,
            ring_ms=100,
        ),
        department(sipp, settings) as uas,
    ):
        await originate_into_queue(service_ami, CALLER_EXT, settings.queue, {})
        await observer.wait_for(
            lambda e: e.name == "AgentConnect" and e.get("MemberName") == AGENT_JOB, timeout=20
        )
        caller = await service.caller_at(AGENT_EXT)
        assert caller is not None and caller.name.startswith(f"PJSIP/{CALLER_EXT}-")
        await service.redirect(caller, DEPARTMENT)

        def on_trunk(name: str) -> Callable[[AmiEvent], bool]:
            return lambda e: (
                e.name == name
                and e.get("Uniqueid") == caller.uniqueid
                and (e.get("DestChannel") or "").startswith(f"PJSIP/{names.OUTBOUND_TRUNK}-")
            )

        dial = await observer.wait_for(on_trunk("DialBegin"), timeout=10)
        answered = await observer.wait_for(on_trunk("DialEnd"), timeout=10)
        with contextlib.suppress(AmiActionFailed):  # ends the department's call
            await service_ami.action("Hangup", {"Channel": caller.name})
        result = await asyncio.wait_for(uas, 30)
    assert answered.get("DialStatus") == "ANSWER", answered.raw
    assert dial.get("DialString") == f"{DEPARTMENT}@{names.OUTBOUND_TRUNK}"
    assert result.successful == 1, result.output[-1500:]
    # the caller's own channel dials, from the transfer context (the desk phone does not)
    assert dial.get("Context") == names.TRANSFER
