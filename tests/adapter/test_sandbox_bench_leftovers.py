"""`sandbox up`'s clearing of a killed bench run never fails the `up`: an Asterisk that
does not answer leaves the mark for the next `up` (a sandbox in a temporary folder whose
CLI fails; nothing real is touched)."""

from __future__ import annotations

from pathlib import Path

import pytest

from asterisk_conf.sandbox.sandbox import Sandbox
from core.errors import SandboxError
from core.settings import Settings
from tests.db.test_bench_leftovers import a_dead_pid


def test_a_killed_run_that_cannot_be_cleared_now_is_left_for_the_next_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = Sandbox(Settings(sandbox_dir=tmp_path))
    box.bench_mark.write_text(f"12 {a_dead_pid()}\n", encoding="ascii")

    def refuses(command: str, timeout: float = 30) -> str:
        raise SandboxError(f"asterisk -rx {command!r}: Unable to connect to remote asterisk")

    monkeypatch.setattr(box.asterisk, "cli", refuses)
    box._end_killed_bench_run({"ami_service": "x", "db_password": "x"})
    assert box.bench_mark.read_text(encoding="ascii").startswith("12 ")
