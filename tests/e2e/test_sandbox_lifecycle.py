"""The sandbox's life cycle: idempotent ``up``, clean ``down``, recovery after ``kill -9``.

These stop and start the real Asterisk and PostgreSQL; every test leaves the
sandbox up again for whatever runs next.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from datetime import datetime
from pathlib import Path

import asyncpg

from asterisk_conf.model import BENCH_FIRST_PHONE
from asterisk_conf.sandbox import host
from asterisk_conf.sandbox.bench_leftovers import read_mark
from asterisk_conf.sandbox.sandbox import Sandbox
from asterisk_conf.sandbox.services import ami_answers
from core import names
from core.settings import Settings
from tests.cel_fixtures import inbound_call, insert
from tests.db.test_bench_leftovers import a_dead_pid


def _wait_until(predicate: object, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.05)
    return False


def _db_answers(url: str) -> bool:
    async def probe() -> bool:
        conn = await asyncpg.connect(url, timeout=5)
        try:
            return bool(await conn.fetchval("SELECT 1"))
        finally:
            await conn.close()

    return asyncio.run(probe())


def test_up_twice_is_idempotent(sandbox: Sandbox) -> None:
    first = sandbox.up()
    mounts = host.mounts_under(sandbox.root)
    second = sandbox.up()
    assert second.build_seconds == 0.0
    assert (second.asterisk_pid, second.postgres_pid) == (first.asterisk_pid, first.postgres_pid)
    assert host.mounts_under(sandbox.root) == mounts
    assert sorted(str(m) for m in mounts) == sorted(
        str(sandbox.root.resolve() / d) for d in ("dev", "proc")
    )


def test_asterisk_runs_at_real_time_priority_and_postgres_does_not(sandbox: Sandbox) -> None:
    """asterisk.conf's ``highpriority`` (``AsteriskConf.high_priority``): every Asterisk
    thread is SCHED_RR, so on cores it shares a caller's path never waits behind
    PostgreSQL or the service (README "Capacity")."""
    status = sandbox.up()
    policies = []
    for task in Path(f"/proc/{status.asterisk_pid}/task").iterdir():
        with contextlib.suppress(ProcessLookupError):  # a thread that ended meanwhile
            policies.append(os.sched_getscheduler(int(task.name)))
    assert len(policies) > 10 and set(policies) == {os.SCHED_RR}
    assert status.postgres_pid is not None
    assert os.sched_getscheduler(status.postgres_pid) == os.SCHED_OTHER


def test_up_clears_what_a_bench_run_that_was_killed_left(
    sandbox: Sandbox, settings: Settings
) -> None:
    """A capacity run SIGKILLed leaves its mark, its members and its calls' CEL rows:
    the next `up` (the test command's, the demo's) clears them, else the tests' calls
    would be offered to its members and every service the tests start would backfill
    its calls; rows before the mark stay."""
    url = sandbox.database_url(sandbox.ensure_secrets())
    member = f"Local/{BENCH_FIRST_PHONE + 7}@hl-bench-alone/n"
    sandbox.asterisk.cli(f"queue add member {member} to {settings.queue}")
    assert member in sandbox.asterisk.cli(f"queue show {settings.queue}")
    # a call still up (a desk phone's silent wait: 30 s, longer than this test)
    sandbox.asterisk.cli(f"channel originate Local/agent@{names.CONNECT} application Wait 30")
    assert _wait_until(lambda: _channels(sandbox) > 0, 5)

    async def cel_ids(*, add: bool = False) -> list[int]:
        conn = await asyncpg.connect(url, timeout=5)
        try:
            if add:  # one recorded call, as the killed run's
                await insert(conn, inbound_call(990_001, datetime(2026, 12, 2, 8)))
            return [r["id"] for r in await conn.fetch("SELECT id FROM cel ORDER BY id")]
        finally:
            await conn.close()

    before = asyncio.run(cel_ids())
    since = before[-1] if before else 0
    sandbox.bench_mark.write_text(f"{since} {a_dead_pid()}\n", encoding="ascii")
    assert read_mark(sandbox.bench_mark) is not None
    assert len(asyncio.run(cel_ids(add=True))) > len(before)
    sandbox.up()
    assert not sandbox.bench_mark.exists()
    assert asyncio.run(cel_ids()) == before
    assert member not in sandbox.asterisk.cli(f"queue show {settings.queue}")
    assert _channels(sandbox) == 0


def _channels(sandbox: Sandbox) -> int:
    said = sandbox.asterisk.cli("core show channels count")
    return int(said.split()[0])


def test_down_leaves_no_process_and_no_mount(sandbox: Sandbox, settings: Settings) -> None:
    sandbox.up()
    try:
        sandbox.down()
        assert host.pids_in_root(sandbox.root) == []
        assert host.mounts_under(sandbox.root) == []
        assert not ami_answers(settings.ami_host, settings.ami_port, timeout=0.5)
        assert "asterisk    stopped" in sandbox.status()
        sandbox.down()  # a second down is harmless
    finally:
        sandbox.up()


def test_up_after_kill_9_of_everything_recovers(
    sandbox: Sandbox, settings: Settings, database_url: str
) -> None:
    before = sandbox.up()
    victims = host.pids_in_root(sandbox.root)
    assert before.asterisk_pid in victims and before.postgres_pid in victims
    for pid in victims:
        with contextlib.suppress(ProcessLookupError):  # children die with their parent
            os.kill(pid, signal.SIGKILL)
    assert _wait_until(lambda: not host.pids_in_root(sandbox.root), 10)
    # what a killed sandbox leaves behind
    assert sandbox.asterisk.pid_file.exists()
    assert host.mounts_under(sandbox.root)

    after = sandbox.up()
    assert after.asterisk_pid not in victims and after.postgres_pid not in victims
    assert ami_answers(settings.ami_host, settings.ami_port)
    assert _db_answers(database_url)
    assert len(host.mounts_under(sandbox.root)) == 2


def test_half_built_root_is_deleted_without_crossing_its_bind_mounts(tmp_path: Path) -> None:
    """design.md: `rm -rf` across a live bind mount of /dev deletes the host's /dev."""
    precious = tmp_path / "host-dev"
    precious.mkdir()
    (precious / "keep-me").write_text("host data")
    root = tmp_path / "half-built-root"
    (root / "dev").mkdir(parents=True)
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin/some-file").write_text("x")
    host.run(["mount", "--bind", str(precious), str(root / "dev")])
    try:
        assert host.mounts_under(root)
        host.remove_tree_safely(root)
    finally:
        if host.mounts_under(root):
            host.unmount_all_under(root)
    assert not root.exists()
    assert (precious / "keep-me").read_text() == "host data"
