"""Where the service's CPU goes under load: ``py-spy`` samples the running ``hotline
serve`` (issue 13: "profile the service"), and ``busiest`` reads its collapsed stacks.

``py-spy record --format raw`` writes one line per distinct stack: the frames from the
thread's root to the leaf, joined by ``;``, then a space and the number of samples. Only
the event loop's thread counts here (the executor's threads sit waiting on their queue),
and its samples in ``select`` are the loop waiting, not working.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path

# the event loop's thread starts in the interpreter's main module, the others in threading
MAIN_THREAD = "<module> "
WAITING = ("EpollSelector.select ", "select ")
# installed beside the interpreter running the bench (the venv's, with .[dev])
SPY = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
# the trunk every sample shares (the entry point, asyncio's loop): left out of the list
TRUNK = ("<string>", "asyncio/", "hotline/cli.py")


@dataclass(frozen=True)
class Busiest:
    busy: int  # samples of the loop's thread doing something
    waiting: int  # samples of it waiting for I/O
    functions: tuple[tuple[str, int], ...]  # (function (file), samples it was on the stack)

    def share(self, samples: int) -> float:
        return 100 * samples / self.busy if self.busy else 0.0


def frame_name(frame: str) -> str:
    """``Connection.reset (asyncpg/connection.py:1234)`` → ``Connection.reset
    (asyncpg/connection.py)``: a function once, whatever line it was on."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.split(':')[0].rstrip(')')})" if where else name


def busiest(lines: Iterable[str], *, top: int = 15) -> Busiest:
    """The functions the loop's thread spent its busy samples in, inclusive (a function
    counts once per sample whatever its depth), the trunk every sample shares left out."""
    busy = waiting = 0
    counts: Counter[str] = Counter()
    for line in lines:
        stack, _, number = line.rstrip("\n").rpartition(" ")
        if not stack or not number.isdigit():
            continue
        frames = stack.split(";")
        if not frames[0].startswith(MAIN_THREAD):
            continue
        samples = int(number)
        if frames[-1].startswith(WAITING):
            waiting += samples
            continue
        busy += samples
        for name in {frame_name(f) for f in frames}:
            counts[name] += samples
    wanted = [
        (name, n)
        for name, n in counts.most_common()
        if not name.rpartition(" (")[2].startswith(TRUNK)
    ]
    return Busiest(busy, waiting, tuple(wanted[:top]))


@contextlib.asynccontextmanager
async def sampling(pid: int, out: Path, *, rate: int = 100) -> AsyncIterator[None]:
    """py-spy on ``pid`` for the block (without stopping the process at each sample),
    its collapsed stacks written to ``out`` when the block ends."""
    proc = await asyncio.create_subprocess_exec(
        SPY,
        "record",
        "--nonblocking",
        "--pid",
        str(pid),
        "--rate",
        str(rate),
        "--format",
        "raw",
        "--output",
        str(out),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGINT)  # py-spy writes what it has and ends
        _, err = await proc.communicate()
        if proc.returncode:
            print(f"  py-spy: {err.decode(errors='replace').strip()[-300:]}", flush=True)


def report(path: Path, *, top: int = 12) -> str:
    """The profile as the bench prints it."""
    found = busiest(path.read_text().splitlines(), top=top)
    lines = [
        f"  service profile ({path.name}): loop busy {found.busy} samples, "
        f"waiting {found.waiting}; share of the busy samples, inclusive:"
    ]
    lines += [f"    {found.share(n):5.1f} %  {name}" for name, n in found.functions]
    return "\n".join(lines)
