"""The outbound trunk (R11b, callbacks): a SIPp UAS on the outbound address stands for a
department. A call placed on ``PJSIP/<number>@outbound-trunk`` reaches it from the
centre's entry number (never the caller's); a desk phone dialling the same number
reaches nothing, and nothing the trunk sends reaches any dialplan but a hang-up.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from ami import AmiClient
from asterisk_conf.sandbox.sipp import Sipp, SippResult, udp_bound
from core import names
from core.settings import Settings
from tests.e2e.conftest import EventLog
from tests.e2e.test_toll_fraud import probe_and_settle

DEPARTMENT = "88881234"
CITIZEN = "13800138000"
PHONE_EXT, PHONE_PORT = "2008", 5078


@contextlib.asynccontextmanager
async def department(
    sipp: Sipp, settings: Settings, timeout_s: float = 20
) -> AsyncIterator[asyncio.Task[SippResult]]:
    """The department's UAS on the outbound address, for one call at most; it has ended
    (answered one call or timed out) when the block is left, so the port is free."""
    log = "/var/lib/hotline/sipp/department.log"
    (sipp.root / log.lstrip("/")).unlink(missing_ok=True)
    argv = sipp.argv(
        "department.xml",
        settings.outbound_port,
        7062,
        "-m",
        "1",
        "-trace_logs",
        "-log_file",
        log,
        timeout_s=timeout_s,
        to_asterisk=False,
    )
    task = asyncio.create_task(sipp.run(argv, timeout_s + 10))
    await udp_bound(sipp.local_ip, settings.outbound_port, gone=task.done)
    try:
        yield task
    finally:
        with contextlib.suppress(Exception):
            await task


async def test_a_call_on_the_trunk_reaches_the_department_from_the_entry_number(
    sipp: Sipp, settings: Settings, service_ami: AmiClient, observer: EventLog, sandbox: object
) -> None:
    async with department(sipp, settings) as uas:
        await service_ami.action(
            "Originate",
            {
                "Channel": f"PJSIP/{DEPARTMENT}@{names.OUTBOUND_TRUNK}",
                "Application": "Wait",
                "Data": "1",
                "CallerID": f"<{CITIZEN}>",  # the caller's number must not leak out
                "Async": "true",
                "Timeout": "10000",
            },
        )
        result = await asyncio.wait_for(uas, 30)
    assert result.ok, result.output[-1500:]
    log = (sipp.root / "var/lib/hotline/sipp/department.log").read_text()
    assert f"From user sip:{settings.entry_number}@" in log
    assert CITIZEN not in log


async def test_a_desk_phone_cannot_dial_out_through_the_trunk(
    sipp: Sipp, settings: Settings, secrets: dict, observer: EventLog, service_ami: AmiClient
) -> None:
    # the department listens past the refused dial (a call let through would reach it
    # within a second); the trunk's channels below are the proof either way
    async with department(sipp, settings, timeout_s=4) as uas:
        phone = sipp.phone(PHONE_EXT, secrets["phones"][PHONE_EXT], PHONE_PORT, PHONE_PORT + 1000)
        await phone.start()
        start = len(observer.events)
        try:
            await phone.dial(DEPARTMENT, timeout_s=8)
        finally:
            await phone.stop()
    assert (await uas).successful == 0  # the department never got a call
    assert not [
        e
        for _, e in observer.events[start:]
        if e.name == "Newchannel" and names.OUTBOUND_TRUNK in (e.get("Channel") or "")
    ]


@pytest.mark.parametrize("number", [DEPARTMENT, "12333", "2001", "*11", "s"])
async def test_what_the_trunk_sends_reaches_no_dialplan(
    settings: Settings, sipp: Sipp, observer: EventLog, service_ami: AmiClient, number: str
) -> None:
    status, channels = await probe_and_settle(
        sipp, observer, service_ami, number, CITIZEN, settings.outbound_port
    )
    assert status >= 400
    assert {context for context, _ in channels} <= {names.OUTBOUND_INBOUND}
