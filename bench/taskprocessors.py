"""Where Asterisk queues work under load: ``core show taskprocessors`` sampled while a
step runs, the deepest queue of each processor kept (the stasis topics, app_queue's
device-state and member queues, CEL's, the AMI's). A processor whose queue grows
during a step is the one that cannot keep up; its name says which part of Asterisk.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

from core.tasks import cancel_and_wait

SETTLED_BELOW = 50  # every queue shorter than this: Asterisk has caught up


def queued(text: str) -> dict[str, int]:
    """``In Queue`` of each processor in ``core show taskprocessors``' text: a name,
    then numbers (Processed, In Queue, Max Depth, the water marks, and in Asterisk 22
    the low and high times)."""
    depths = {}
    for line in text.splitlines():
        parts = line.split()
        first = len(parts)
        while first > 0 and parts[first - 1].isdigit():
            first -= 1
        if first == 1 and len(parts) - first >= 5:
            depths[parts[0]] = int(parts[2])
    return depths


def deepest(peaks: dict[str, int], top: int = 2) -> str:
    """The ``top`` processors by their deepest queue, as ``name=depth`` (``-`` if none)."""
    ranked = sorted(((d, n) for n, d in peaks.items() if d > 0), reverse=True)[:top]
    return ",".join(f"{_short(n)}={d}" for d, n in ranked) or "-"


def _short(name: str) -> str:
    """``stasis/m:manager:core-00000006`` -> ``stasis/m:manager:core``."""
    head, _, tail = name.rpartition("-")
    return head if head and len(tail) == 8 and tail.isalnum() else name


async def settle(
    cli: Callable[[str], str], *, below: int = SETTLED_BELOW, within_s: float = 120.0
) -> tuple[float, int]:
    """Wait until every task-processor queue is shorter than ``below`` (what the last
    step or the agents' sign-in left for Asterisk to do), at most ``within_s``: a step
    then starts on an Asterisk that has caught up, not on the last one's backlog. The
    seconds waited and the deepest queue at the end."""
    began = time.monotonic()
    while True:
        text = await asyncio.to_thread(cli, "core show taskprocessors")
        depth = max(queued(text).values(), default=0)
        waited = time.monotonic() - began
        if depth < below or waited >= within_s:
            return waited, depth
        await asyncio.sleep(0.5)


class Sampler:
    """Samples ``cli("core show taskprocessors")`` every ``every_s`` in a thread and
    keeps each processor's deepest queue until ``take``."""

    def __init__(self, cli: Callable[[str], str], every_s: float = 1.0) -> None:
        self.cli = cli
        self.every_s = every_s
        self.peaks: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Sampler:
        self._task = asyncio.create_task(self._loop())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await cancel_and_wait(self._task)

    def take(self) -> dict[str, int]:
        taken, self.peaks = self.peaks, {}
        return taken

    async def _loop(self) -> None:
        while True:
            with contextlib.suppress(Exception):
                text = await asyncio.to_thread(self.cli, "core show taskprocessors")
                for name, depth in queued(text).items():
                    self.peaks[name] = max(depth, self.peaks.get(name, 0))
            await asyncio.sleep(self.every_s)
