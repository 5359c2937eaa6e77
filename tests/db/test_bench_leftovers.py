"""A bench run's CEL rows against a real PostgreSQL and a real loader
(asterisk_conf/sandbox/bench_leftovers.py): deleted when the run ends, and when it was
killed, at the next ``sandbox up`` — after the spool it left is loaded; a live run's
are its own."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from asterisk_conf.sandbox import bench_leftovers
from asterisk_conf.sandbox.bench_leftovers import MARK_FILE, Mark
from tests.db.test_cel_loader import append, ids, loaded_ids, loader, rows


def a_dead_pid() -> int:
    """The pid of a process that has ended (a run killed by SIGKILL)."""
    said = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(said.stdout)


async def load_some(fresh_db: str, spool: Path, n: int, start: int = 0) -> None:
    append(spool, rows(n, start=start))
    await loader(fresh_db, spool).tick()


async def a_run_with_an_unloaded_tail(fresh_db: str, spool: Path, mark: Path) -> Mark:
    """One call before the run (id 1); the run's begin, two calls loaded, three more
    still in the spool (cel.csv, not loaded)."""
    await load_some(fresh_db, spool, 1)
    begun = await bench_leftovers.begin(fresh_db, mark)
    await load_some(fresh_db, spool, 2, start=1)
    append(spool, rows(3, start=3))
    return begun


async def test_a_run_that_ends_deletes_its_rows_and_its_mark(
    pool: asyncpg.Pool, fresh_db: str, tmp_path: Path
) -> None:
    spool, mark = tmp_path / "spool", tmp_path / MARK_FILE
    await load_some(fresh_db, spool, 2)  # calls before the run: not the run's
    begun = await bench_leftovers.begin(fresh_db, mark)
    assert begun == Mark(await pool.fetchval("SELECT max(id) FROM cel"), os.getpid())
    await load_some(fresh_db, spool, 3, start=2)
    assert await bench_leftovers.end(fresh_db, spool, mark) == 3
    assert await loaded_ids(pool) == ids(2)
    assert not mark.exists()
    assert await bench_leftovers.end(fresh_db, spool, mark) is None  # nothing to end twice


async def test_a_killed_run_is_ended_at_the_next_up_once_its_spool_is_loaded(
    pool: asyncpg.Pool, fresh_db: str, tmp_path: Path
) -> None:
    spool, mark = tmp_path / "spool", tmp_path / MARK_FILE
    begun = await a_run_with_an_unloaded_tail(fresh_db, spool, mark)
    mark.write_text(f"{begun.since} {a_dead_pid()}\n", encoding="ascii")  # SIGKILLed
    assert bench_leftovers.killed(mark)
    running = asyncio.create_task(loader(fresh_db, spool, every_s=0.05).run())  # `up` starts it
    try:
        assert await bench_leftovers.end(fresh_db, spool, mark) == 5
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
    assert await loaded_ids(pool) == ids(1)
    assert not mark.exists()


async def test_only_a_mark_whose_run_is_gone_is_a_killed_runs(
    fresh_db: str, tmp_path: Path
) -> None:
    """`sandbox up` while a bench runs (this process stands for it) leaves its mark."""
    mark = tmp_path / MARK_FILE
    assert not bench_leftovers.killed(mark)  # no run at all
    begun = await bench_leftovers.begin(fresh_db, mark)
    assert not bench_leftovers.killed(mark)
    mark.write_text(f"{begun.since} {a_dead_pid()}\n", encoding="ascii")
    assert bench_leftovers.killed(mark)


async def test_a_new_run_keeps_a_killed_runs_mark_so_both_runs_rows_go(
    pool: asyncpg.Pool, fresh_db: str, tmp_path: Path
) -> None:
    spool, mark = tmp_path / "spool", tmp_path / MARK_FILE
    await load_some(fresh_db, spool, 1)
    first = await bench_leftovers.begin(fresh_db, mark)
    await load_some(fresh_db, spool, 2, start=1)  # the killed run's
    second = await bench_leftovers.begin(fresh_db, mark)
    assert second.since == first.since
    await load_some(fresh_db, spool, 2, start=3)
    assert await bench_leftovers.end(fresh_db, spool, mark) == 4
    assert await loaded_ids(pool) == ids(1)


@pytest.mark.parametrize(
    "text",
    [
        "12",  # half a mark
        "",
        "-1 4242",  # a negative id would delete every row
        "12 0",  # pid 0 or below: a process group, never "gone"
        "12 -1",
        "12 4242\x00",
        "十二 4242",
        "12 4242 7",
    ],
)
async def test_an_unreadable_mark_deletes_nothing_and_goes(
    pool: asyncpg.Pool, fresh_db: str, tmp_path: Path, text: str
) -> None:
    spool, mark = tmp_path / "spool", tmp_path / MARK_FILE
    await load_some(fresh_db, spool, 2)
    mark.write_text(text, encoding="utf-8")  # which rows are whose is unknown
    assert bench_leftovers.killed(mark)  # whose it was cannot be told: not a live run's
    assert await bench_leftovers.end(fresh_db, spool, mark) == 0
    assert await loaded_ids(pool) == ids(2)
    assert not mark.exists()


async def test_a_spool_not_loaded_in_time_keeps_the_mark_for_the_rest(
    pool: asyncpg.Pool, fresh_db: str, tmp_path: Path
) -> None:
    spool, mark = tmp_path / "spool", tmp_path / MARK_FILE
    await a_run_with_an_unloaded_tail(fresh_db, spool, mark)  # no loader runs meanwhile
    assert await bench_leftovers.end(fresh_db, spool, mark, within_s=0.3) == 2
    assert mark.exists()
    await loader(fresh_db, spool).tick()  # loaded later
    assert await bench_leftovers.end(fresh_db, spool, mark, within_s=0.3) == 3
    assert await loaded_ids(pool) == ids(1)
    assert not mark.exists()
