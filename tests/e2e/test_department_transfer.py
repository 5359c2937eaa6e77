"""R11b on the real Asterisk: a caller from the trunk goes through the dial plan straight
into the queue (a plan that starts at its queue node: no greeting to wait for); an
agent's desk phone (SIPp) answers; the service transfers the CALLER to a department —
finds the caller's channel through AMI as its own least-privilege user, sets the number
on it and blind-transfers it to ``names.TRANSFER`` — and the outbound trunk's SIPp UAS
(the department) answers the INVITE for the department's number. The call recorder of
the running service writes the call as transferred (app_queue's ``AgentComplete``
says ``Reason: transfer``), not as one the agent hung up (R10); the CEL backfill rebuilds
it the same from Asterisk's BLINDTRANSFER row.

The caller must be a real dial-plan caller: a channel that runs ``Queue`` as an
Originate's application has no dial plan to go on with, so any transfer out of the
queue's bridge hangs it up."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import asyncpg

from ami import AmiClient
from ami.errors import AmiActionFailed
from ami.events import Event as AmiEvent
from asterisk_conf.sandbox.sipp import Sipp
from calls.model import HungUp, Outcome
from core import names
from core.settings import Settings
from departments.service import DepartmentService
from dialplan.publish import AsteriskPublisher
from hotline.serve import Service
from tests.e2e.agents import keyed_call
from tests.e2e.conftest import EventLog
from tests.e2e.telephony import empty, publish_keep_place_plan
from tests.e2e.test_call_records import (  # noqa: F401 - fixtures
    assert_same_call,
    cel_record,
    db,
    idle_agent,
    row_for,
    service,
    service_settings,
    unique_number,
)
from tests.e2e.test_dialplan_publish import publisher  # noqa: F401 - a fixture
from tests.e2e.test_job_number_announce import AGENT_EXT, AGENT_JOB, AGENT_PORT
from tests.e2e.test_outbound_trunk import DEPARTMENT, department


async def test_the_caller_is_transferred_to_the_departments_number(
    settings: Settings,
    service_ami: AmiClient,
    observer: EventLog,
    sipp: Sipp,
    secrets: dict,
    publisher: AsteriskPublisher,  # noqa: F811
    service: Service,  # noqa: F811 - the call recorder under test
    db: asyncpg.Connection,  # noqa: F811
) -> None:
    await empty(service_ami, settings.queue)
    await publish_keep_place_plan(publisher, settings, 912)
    departments = DepartmentService(None, service_ami, None)  # type: ignore[arg-type]
    number = unique_number()
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
        calling = asyncio.create_task(keyed_call(sipp, settings, number, timeout_s=30))
        await observer.wait_for(
            lambda e: e.name == "AgentConnect" and e.get("MemberName") == AGENT_JOB, timeout=20
        )
        caller = await departments.caller_at(AGENT_EXT)
        assert caller is not None and caller.caller_number == number
        try:
            await departments.hand_over(caller, DEPARTMENT)

            def on_trunk(name: str) -> Callable[[AmiEvent], bool]:
                return lambda e: (
                    e.name == name
                    and e.get("Uniqueid") == caller.uniqueid
                    and (e.get("DestChannel") or "").startswith(f"PJSIP/{names.OUTBOUND_TRUNK}-")
                )

            dial = await observer.wait_for(on_trunk("DialBegin"), timeout=10)
            answered = await observer.wait_for(on_trunk("DialEnd"), timeout=10)
            complete = await observer.wait_for(
                lambda e: e.name == "AgentComplete" and e.get("Uniqueid") == caller.uniqueid, 10
            )
        finally:  # ends the department's call (and a failed run's call: none is left over)
            with contextlib.suppress(AmiActionFailed):
                await service_ami.action("Hangup", {"Channel": caller.name})
        result = await asyncio.wait_for(uas, 30)
        await asyncio.wait_for(calling, 30)
    assert answered.get("DialStatus") == "ANSWER", answered.raw
    assert dial.get("DialString") == f"{DEPARTMENT}@{names.OUTBOUND_TRUNK}"
    assert result.successful == 1, result.output[-1500:]
    # the caller's own channel dials, from the transfer context (the desk phone does not)
    assert dial.get("Context") == names.TRANSFER
    assert complete.get("Reason") == "transfer", complete.raw
    record = await row_for(db, number)
    assert (record.outcome, record.hung_up_first) == (Outcome.TRANSFERRED, HungUp.TRANSFER)
    assert record.agent_job_number == AGENT_JOB
    # and Asterisk's CEL (BLINDTRANSFER) rebuilds the same call after a downtime
    assert_same_call(record, await cel_record(db, record.linkedid))
