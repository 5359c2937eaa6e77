"""``--asterisk-core``: Asterisk on cores of its own, everything else on the others.

On the 2-core development box Asterisk, PostgreSQL, SIPp, the service and the bench
share both cores, so whatever else runs takes a core from under Asterisk's call path
now and then: the queue-to-agent tail then measures the sharing as much as Asterisk.
A production node gives Asterisk cores no one else wants; pinning approximates that
on a box with cores to spare (on two, Asterisk keeps one: its own threads then wait
for each other, README "Capacity", run AB). Every thread of Asterisk goes to its
cores; every thread of the bench (and so the service and SIPp it starts later: a child
keeps its parent's cores), of PostgreSQL (its new backends are forked from the
postmaster) and of the CEL loader to the rest. All are given every core again at the
end."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path


def threads(pid: int) -> list[int]:
    try:
        return [int(t.name) for t in Path(f"/proc/{pid}/task").iterdir()]
    except OSError:
        return []  # gone


def pin(pids: Iterable[int | None], cores: set[int]) -> None:
    for pid in pids:
        for tid in threads(pid) if pid else ():
            with contextlib.suppress(ProcessLookupError):  # a thread that just ended
                os.sched_setaffinity(tid, cores)


def split(every: set[int], asterisk: set[int]) -> set[int]:
    """The cores left to the rest; refuses a split that leaves either side none."""
    if not asterisk or not asterisk < every:
        raise ValueError(
            f"--asterisk-core: {sorted(asterisk)} must be some, not all, of the cores "
            f"this process may use ({sorted(every)})"
        )
    return every - asterisk


@contextlib.contextmanager
def asterisk_apart(
    asterisk_pid: int, asterisk: set[int], others: Callable[[], Iterable[int | None]]
) -> Iterator[set[int]]:
    """Asterisk on ``asterisk``; this process and ``others()`` on the remaining cores,
    which it yields; every core to Asterisk and ``others()`` (asked again: processes
    started meanwhile) after."""
    every = os.sched_getaffinity(0)
    rest = split(every, asterisk)
    pin([asterisk_pid], asterisk)
    pin([os.getpid(), *others()], rest)
    try:
        yield rest
    finally:
        pin([asterisk_pid, os.getpid(), *others()], every)
