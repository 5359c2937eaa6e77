"""The SIPp runner (asterisk_conf/sandbox/sipp.py) leaves no process behind when the
run is cancelled — a test's timeout, a bench stopped with SIGTERM — so no SIPp goes on
calling into the next test or bench."""

from __future__ import annotations

import asyncio
import contextlib
import os
from pathlib import Path

from asterisk_conf.sandbox.sipp import Sipp
from tests.adapter.conftest import eventually


async def test_a_cancelled_run_kills_its_process(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    sipp = Sipp(tmp_path)
    run = asyncio.create_task(
        sipp.run(["sh", "-c", f"echo $$ > {pid_file}; exec sleep 60"], deadline_s=120)
    )
    assert await eventually(lambda: pid_file.exists() and pid_file.read_text().strip() != "")
    pid = int(pid_file.read_text())
    run.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await run

    def gone() -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False

    assert gone()
