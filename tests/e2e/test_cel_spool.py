"""Asterisk's own record of every call through its spool file (issue 13): real calls, the
lines Asterisk 22's ``cel_custom`` really writes, and the sandbox's loader process
(``hotline cel-load``) moving them into PostgreSQL — no service running."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from asterisk_conf.sandbox.sandbox import Sandbox
from asterisk_conf.sandbox.sipp import Sipp
from calls import repo
from calls.cel import record_from_cel
from calls.model import Outcome
from core import names
from core.settings import Settings
from tests.e2e.test_call_records import IN_THE_GREETING_MS, unique_number

CALL_END_ROWS = (  # a call's rows, by the caller number, and whether its last is in
    "SELECT count(*) FILTER (WHERE eventtype = 'LINKEDID_END') AS ended, count(*) AS rows"
    " FROM cel WHERE linkedid IN (SELECT linkedid FROM cel WHERE cid_num = ANY($1))"
)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url)
    try:
        yield conn
    finally:
        await conn.close()


async def ended(db: asyncpg.Connection, callers: list[str], timeout: float = 15) -> int:
    """How many of the callers' calls have all their rows in ``cel`` (LINKEDID_END, the
    last), waiting up to ``timeout`` for all of them."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        got = (await db.fetchrow(CALL_END_ROWS, callers))["ended"]
        if got >= len(callers) or asyncio.get_running_loop().time() > deadline:
            return int(got)
        await asyncio.sleep(0.1)


async def test_a_real_calls_rows_come_through_the_spool_as_cel_pgsql_wrote_them(
    sipp: Sipp, settings: Settings, sandbox: Sandbox, db: asyncpg.Connection
) -> None:
    rejects = await db.fetchval("SELECT count(*) FROM cel_spool_rejects")
    caller = unique_number()
    result = await sipp.call(
        settings.entry_number, caller=caller, caller_name="张三丰", talk_ms=IN_THE_GREETING_MS
    )
    assert result.ok, result.output[-1500:]
    assert await ended(db, [caller]) == 1
    linkedid = await db.fetchval("SELECT linkedid FROM cel WHERE cid_num = $1 LIMIT 1", caller)
    rows = await db.fetch("SELECT * FROM cel WHERE linkedid = $1 ORDER BY id", linkedid)
    assert {r["eventtype"] for r in rows} <= set(names.CEL_EVENTS)
    start = rows[0]
    assert (start["eventtype"], start["uniqueid"], start["cid_name"]) == (
        "CHAN_START",
        linkedid,
        "张三丰",  # UTF-8 from SIP to the table, through Asterisk's file
    )
    now = datetime.now(UTC).replace(tzinfo=None)  # eventtime: UTC without a zone
    assert timedelta(0) < now - start["eventtime"] < timedelta(minutes=1)
    hangup = next(r for r in rows if r["eventtype"] == "HANGUP")
    assert json.loads(hangup["extra"])["hangupsource"] == start["channame"]  # the caller's BYE
    node = next(r for r in rows if r["userdeftype"] == names.CEL_NODE)
    assert node["eventtype"] == "USER_DEFINED"
    assert json.loads(node["extra"])["extra"].endswith("/zh")  # <version>/<node>/<language>
    assert start["amaflags"] == 3 and start["appname"] == ""
    record = record_from_cel(await repo.cel_rows(db, linkedid))
    assert record is not None and record.outcome is Outcome.ABANDONED_GREETING
    assert record.caller_number == caller
    assert await db.fetchval("SELECT count(*) FROM cel_spool_rejects") == rejects


async def test_calls_made_while_the_loader_is_down_wait_in_the_spool_and_load_once(
    sipp: Sipp, settings: Settings, sandbox: Sandbox, db: asyncpg.Connection
) -> None:
    """The loader killed (no clean-up) while calls are made: their rows wait in
    ``cel.csv``; the loader started again loads each of them once."""
    pid = sandbox.cel_loader.pid()
    assert pid is not None, "the sandbox runs the loader"
    os.kill(pid, signal.SIGKILL)
    callers = [unique_number() for _ in range(3)]
    try:
        for caller in callers:
            result = await sipp.call(
                settings.entry_number, caller=caller, talk_ms=IN_THE_GREETING_MS
            )
            assert result.ok, result.output[-1500:]
        spool = sandbox.cel_spool / names.CEL_SPOOL_FILE
        assert spool.exists() and caller.encode() in spool.read_bytes()
        assert (await db.fetchrow(CALL_END_ROWS, callers))["rows"] == 0
    finally:
        sandbox.start_cel_loader()
    assert await ended(db, callers) == 3
    twice = await db.fetchval(
        "SELECT count(*) FROM (SELECT 1 FROM cel WHERE linkedid IN"
        " (SELECT linkedid FROM cel WHERE cid_num = ANY($1))"
        " GROUP BY uniqueid, eventtype, eventtime, userdeftype HAVING count(*) > 1) d",
        callers,
    )
    assert twice == 0


def until(condition: Callable[[], bool], timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_the_sandbox_runs_one_loader_however_often_it_is_started(sandbox: Sandbox) -> None:
    """Every `sandbox up` starts the loader again (the checkout's code): the one before
    it, and any an interrupted `up` left running, are stopped first — two loaders would
    still load each row once, but an old one would run old code."""
    for _ in range(3):
        sandbox.start_cel_loader()
    stray = subprocess.Popen(  # as if an `up` died after starting it: not in the pid file
        [sys.executable, "-m", "hotline.cli", "cel-load"],
        env={**os.environ, "HOTLINE_ASTERISK_ROOT": str(sandbox.root)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert until(lambda: stray.pid in sandbox.cel_loader.running())
        pid = sandbox.start_cel_loader()
        assert stray.wait(timeout=15) is not None
        assert until(lambda: sandbox.cel_loader.running() == [pid] == [sandbox.cel_loader.pid()])
    finally:
        if stray.poll() is None:
            stray.kill()
            stray.wait()
