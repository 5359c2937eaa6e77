"""The PIN never reaches the AMI bus, Asterisk's CEL or the service's log (issue 8).

A desk phone signs in with ``*11`` by DTMF while the sandbox's observer (read=all)
records every AMI event. The job number and PIN are collected over FastAGI with
``GET DATA``: no channel variable holds them (no ``VarSet``), no ``UserEvent`` carries
them, and the ``AGIExec*`` events name only the commands. DTMF events carry single
digits to a read=dtmf user: only the sandbox observer is one.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest
import structlog

from agent_state.pins import hash_pin
from asterisk_conf.sandbox.sandbox import Sandbox
from asterisk_conf.sandbox.sipp import Sipp
from core.settings import Settings
from tests.e2e.agents import make_roster, phones, running_service, service_settings, wait_state
from tests.e2e.conftest import EventLog

# 8 digits: no uniqueid, port or timestamp holds them by chance
SECRET_PIN = "73194682"
JOB = "1004"
DTMF_EVENTS = frozenset({"DTMFBegin", "DTMFEnd"})
HTTP_PORT = 18_093


@pytest.fixture
async def base(settings: Settings, sandbox: Sandbox, fresh_db: str) -> AsyncIterator[Settings]:
    yield service_settings(
        settings,
        sandbox,
        fresh_db,
        HTTP_PORT,
    )


async def cel_rows_since(database_url: str, since: datetime) -> list[str]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT cel::text AS row FROM cel WHERE eventtime >= $1", since)
    finally:
        await conn.close()
    return [r["row"] for r in rows]


async def test_the_pin_keyed_at_a_desk_phone_reaches_no_event_cel_row_or_log_line(
    base: Settings,
    sipp: Sipp,
    secrets: dict,
    observer: EventLog,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await make_roster(base.database_url, {JOB: 0})
    conn = await asyncpg.connect(base.database_url)
    await conn.execute(
        "UPDATE agents SET pin_hash = $1 WHERE job_number = $2", hash_pin(SECRET_PIN), JOB
    )
    await conn.close()
    started = datetime.now(UTC).replace(tzinfo=None)  # CEL's eventtime: UTC, no zone
    caplog.set_level(logging.DEBUG)
    with structlog.testing.capture_logs() as service_log:
        async with phones(sipp, secrets, [JOB]) as desk, running_service(base) as service:
            result = await desk[JOB].dial("*11", f"{JOB}#{SECRET_PIN}#")
            assert result.ok, result.output[-1500:]
            await wait_state(service, JOB, "idle")  # the sign-in worked

    seen = [e for _, e in observer.events if e.name not in DTMF_EVENTS]
    agi = [e for e in seen if e.name.startswith("AGIExec")]
    assert any("GET DATA" in e.get("Command") for e in agi), "the sign-in did not use FastAGI"
    for kind in ("VarSet", "UserEvent", "AGIExecStart", "AGIExecEnd"):
        leaking = [e for e in seen if e.name == kind and SECRET_PIN in repr(e.raw)]
        assert not leaking, f"{kind} carried the PIN: {leaking[:1]}"
    assert not [e for e in seen if SECRET_PIN in repr(e.raw)], "an AMI event carried the PIN"
    cel = await cel_rows_since(database_url, started)
    assert cel, "no CEL rows for the sign-in call"
    assert not [row for row in cel if SECRET_PIN in row]
    assert service_log and not [line for line in service_log if SECRET_PIN in repr(line)]
    assert SECRET_PIN not in caplog.text
