"""What a bench run leaves in the sandbox — its calls, its queue members, its CEL rows —
cleared when the run ends, and at the next ``sandbox up`` when it was killed first.

``bench/capacity.py`` and ``bench/soak.py`` make thousands of real calls to members
of their own (bench phones ``BENCH_FIRST_PHONE``…). Their CEL rows reach the sandbox's
``cel`` table through the spool and its loader; left there, every service the tests
start would backfill them as calls (one such run slowed a test's service enough to fail
it), and members left in the queue would be offered the tests' calls. So a run writes
the highest CEL id before its first call, and its pid, to ``MARK_FILE`` in the
sandbox's directory (``begin``); its end hangs up what is left, removes its members and
deletes the rows past the mark, then the mark (``end``). A run killed with SIGKILL
leaves the mark behind: ``Sandbox.up`` sees its process gone (``killed``) and clears
the same, once the loader runs, so what the spool still held is loaded first and
deleted with the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from ami import AmiClient, AmiError
from ami.actions import QueueRemove
from asterisk_conf.model import BENCH_FIRST_PHONE, BENCH_MAX_PHONES
from core import names
from core.logging import get_logger

log = get_logger("sandbox")

MARK_FILE = "bench-cel-mark"

Cli = Callable[[str], str]  # an Asterisk CLI command -> its output


@dataclass(frozen=True)
class Mark:
    since: int  # the highest CEL id before the run's first call
    pid: int  # the run's process


def read_mark(path: Path) -> Mark | None:
    """The mark in ``path``; None when there is none or it cannot be read (a run's rows
    then cannot be told from others, and are kept)."""
    try:
        since, pid = (int(word) for word in path.read_text(encoding="ascii").split())
    except (FileNotFoundError, ValueError):
        return None
    # a negative id would delete every row; pid 0 or less names a process group
    return Mark(since, pid) if since >= 0 and pid > 0 else None


async def begin(url: str, path: Path) -> Mark:
    """The run's mark: the highest CEL id now and this process, kept in ``path``. A mark
    already there is an earlier run's that never ended: its ``since`` is kept, so its
    rows go with this run's."""
    earlier = read_mark(path)
    if earlier is not None:
        since = earlier.since
    else:
        conn = await asyncpg.connect(url, timeout=10)
        try:
            since = int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM cel"))
        finally:
            await conn.close()
    mark = Mark(since, os.getpid())
    _write(path, mark)
    return mark


async def end(url: str, spool: Path, path: Path, *, within_s: float = 120) -> int | None:
    """The rows past the mark in ``path`` deleted (once the spool is loaded, waiting at
    most ``within_s``), then the mark; how many rows, or None when there was no mark.
    A spool not loaded in time keeps the mark: the next ``sandbox up`` deletes the rest."""
    mark = read_mark(path)
    deleted = 0
    if mark is not None:
        complete = await loaded(url, spool, within_s=within_s)
        conn = await asyncpg.connect(url, timeout=10)
        try:
            status = await conn.execute("DELETE FROM cel WHERE id > $1", mark.since)
        finally:
            await conn.close()
        deleted = int(status.split()[-1])  # "DELETE <n>"
        if not complete:
            log.warning(
                "the CEL spool was still loading; the bench's mark is kept for the rest",
                waited_s=within_s,
                deleted=deleted,
            )
            return deleted
    return deleted if _remove(path) else None


def killed(path: Path) -> bool:
    """Whether ``path`` holds the mark of a run that is no longer running (killed before
    its end); a live run's mark is its own to end."""
    if not path.exists():
        return False
    mark = read_mark(path)
    return mark is None or not _alive(mark.pid)


def hang_up_all(cli: Cli, *, within_s: float = 10.0) -> int:
    """Every channel hung up (the bench owns the sandbox while it runs: the e2e lock),
    waiting at most ``within_s`` for them to go — their last CEL rows with them; how
    many there were."""
    there = _channels(cli)
    if there:
        cli("channel request hangup all")
        deadline = time.monotonic() + within_s
        while _channels(cli) and time.monotonic() < deadline:
            time.sleep(0.1)
    return there


def _channels(cli: Cli) -> int:
    said = _CHANNELS.search(cli("core show channels count"))
    return int(said.group(1)) if said else 0


async def remove_members(ami: AmiClient, cli: Cli) -> int:
    """Every bench phone's member removed from every queue (over ``ami``, a started
    session that may write ``agent``); how many there were."""
    found = members(cli("queue show"), BENCH_FIRST_PHONE, BENCH_FIRST_PHONE + BENCH_MAX_PHONES - 1)
    for queue, interface in found:
        with contextlib.suppress(AmiError):
            await ami.send(QueueRemove(queue, interface))
    return len(found)


_QUEUE_LINE = re.compile(r"^(\S+) has \d+ calls")
# a member with a name: "500160 (Local/30160@hl-bench-alone/n from …)"; without: "Local/…"
_MEMBER = re.compile(r"^\s+(?:[^\s(][^(]*\()?(Local/(\d+)@[\w-]+/n)\b")
_CHANNELS = re.compile(r"^(\d+) active channels?", re.MULTILINE)


def members(text: str, first: int, last: int) -> list[tuple[str, str]]:
    """(queue, interface) of each bench member in ``queue show``'s text: a ``Local``
    member whose extension is a bench phone's."""
    found, queue = [], ""
    for line in text.splitlines():
        if head := _QUEUE_LINE.match(line):
            queue = head.group(1)
        elif (member := _MEMBER.match(line)) and first <= int(member.group(2)) <= last:
            found.append((queue, member.group(1)))
    return found


def _write(path: Path, mark: Mark) -> None:
    work = path.with_name(path.name + ".work")
    work.write_text(f"{mark.since} {mark.pid}\n", encoding="ascii")
    os.replace(work, path)  # a run killed while writing leaves no half a mark


def _remove(path: Path) -> bool:
    """Whether there was a mark to remove."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


async def loaded(url: str, spool: Path, *, within_s: float) -> bool:
    """Wait until every CEL row Asterisk wrote is in the ``cel`` table: no ``cel.csv``
    waiting to be moved aside, every moved-aside file loaded to its end (the loader
    beside Asterisk, ``calls/cel_loader.py``); whether that happened in time."""
    deadline = time.monotonic() + within_s
    conn = await asyncpg.connect(url, timeout=10)
    try:
        while True:
            sizes = {
                r["name"]: r["loaded_bytes"]
                for r in await conn.fetch("SELECT name, loaded_bytes FROM cel_spool_files")
            }
            if nothing_unloaded(spool, sizes):
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


def nothing_unloaded(spool: Path, loaded_bytes: dict[str, int]) -> bool:
    """True when every byte in the spool is loaded."""
    active = spool / names.CEL_SPOOL_FILE
    if active.exists() and active.stat().st_size > 0:
        return False
    for path in spool.glob("cel-*.csv"):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_size != loaded_bytes.get(path.name, 0):
                return False
    return True
