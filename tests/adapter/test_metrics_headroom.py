"""/metrics says whether the box or the service is short: the process's own figures,
the event loop thread's wait for a core and the actions the service sends Asterisk
(web/metrics.py, README "Headroom in /metrics")."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import pytest

from ami import AmiClient
from ami.actions import QueuePause
from calls.service import QueueWaiting
from core.errors import UnsafeValueError
from tests.adapter.conftest import ClientFactory
from tests.adapter.fake_ami import FakeAmi
from web.metrics import SCHEDSTAT, Metrics, on_cpu_and_waiting_s


def scrape() -> dict[str, float]:
    """One scrape, on this thread's event loop as the service's are."""
    ami = AmiClient("127.0.0.1", 1, "nobody", "x" * 24)

    async def render() -> dict[str, float]:
        return samples_of(ami)

    return asyncio.run(render())


def samples_of(ami: AmiClient) -> dict[str, float]:
    samples = {}
    for line in Metrics(ami, QueueWaiting(ami)).render().decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def test_a_scrape_has_the_process_and_the_loop_threads_figures() -> None:
    samples = scrape()
    assert samples["process_resident_memory_bytes"] > 1_000_000
    assert samples["process_open_fds"] >= 3
    assert samples["hotline_loop_cpu_seconds_total"] > 0
    assert samples["hotline_loop_cpu_wait_seconds_total"] >= 0


def test_a_schedstat_line_reads_as_seconds() -> None:
    assert on_cpu_and_waiting_s("1184681 1255016 18\n") == (0.001184681, 0.001255016)


@pytest.mark.skipif(not SCHEDSTAT.exists(), reason="no scheduler statistics here")
def test_a_thread_that_must_share_its_core_shows_the_wait() -> None:
    # this thread and two busy processes on one core: the thread is ready to run about
    # two thirds of the time it is not running — the wait a full box gives the service
    core = min(os.sched_getaffinity(0))
    before_affinity = os.sched_getaffinity(0)
    hog = f"import os; os.sched_setaffinity(0, {{{core}}})\nwhile True: pass"
    hogs = [subprocess.Popen([sys.executable, "-c", hog]) for _ in range(2)]
    try:
        os.sched_setaffinity(0, {core})
        time.sleep(0.2)  # the hogs started and pinned themselves
        waited_before = scrape()["hotline_loop_cpu_wait_seconds_total"]
        end = time.monotonic() + 0.5
        while time.monotonic() < end:
            pass
        waited = scrape()["hotline_loop_cpu_wait_seconds_total"] - waited_before
    finally:
        os.sched_setaffinity(0, before_affinity)
        for process in hogs:
            process.kill()
            process.wait()
    assert waited > 0.1, waited


async def test_a_scrape_counts_the_actions_sent_to_asterisk_by_name(
    fake: FakeAmi, client: ClientFactory
) -> None:
    # what the service asks of Asterisk: each QueuePause is a walk of every member there
    ami = await client(keepalive_interval=60.0)
    member = "Local/2001@agents-local/n"
    await ami.send(QueuePause(member, True, reason="wrap-up"))
    await ami.send(QueuePause(member, False))
    with pytest.raises(UnsafeValueError):  # refused before the wire: never sent, not counted
        await ami.send(QueuePause(member, True, reason="wrap-up\r\nAction: Logoff"))
    samples = samples_of(ami)
    assert samples['hotline_ami_actions_total{action="QueuePause"}'] == 2.0
    assert len(fake.named("QueuePause")) == 2
