"""bench/pinning.py: ``--asterisk-core`` gives Asterisk its cores and the rest the
others, threads included, and every core back after."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from bench import pinning

EVERY = os.sched_getaffinity(0)
pytestmark = pytest.mark.skipif(len(EVERY) < 2, reason="needs two cores to split")
THREADED = "import threading, time; threading.Thread(target=time.sleep, args=(60,)).start()"


@pytest.fixture
def processes() -> Iterator[tuple[int, int]]:
    """Two processes of two threads each: an 'Asterisk' and an 'other'."""
    started = [subprocess.Popen([sys.executable, "-c", THREADED]) for _ in range(2)]
    try:
        while any(len(pinning.threads(p.pid)) < 2 for p in started):
            time.sleep(0.01)  # until both threads are up
        yield started[0].pid, started[1].pid
    finally:
        for p in started:
            p.kill()
            p.wait()


def cores_of(pid: int) -> list[set[int]]:
    return [os.sched_getaffinity(tid) for tid in pinning.threads(pid)]


def test_asterisk_gets_its_cores_and_the_rest_the_others_then_all_again(
    processes: tuple[int, int],
) -> None:
    asterisk, other = processes
    mine = min(EVERY)
    with pinning.asterisk_apart(asterisk, {mine}, lambda: [other, None]) as rest:
        assert rest == EVERY - {mine}
        assert cores_of(asterisk) == [{mine}, {mine}]
        assert cores_of(other) == [rest, rest]
        assert os.sched_getaffinity(0) == rest  # the bench itself, so what it starts
    for pid in (asterisk, other, os.getpid()):
        assert all(c == EVERY for c in cores_of(pid))


@pytest.mark.parametrize("asterisk", [set(), EVERY, {max(EVERY) + 1}])
def test_a_split_that_leaves_a_side_no_core_is_refused(asterisk: set[int]) -> None:
    with pytest.raises(ValueError, match=r"--asterisk-core: .* must be some, not all"):
        pinning.split(EVERY, asterisk)
