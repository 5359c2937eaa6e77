"""The SIPp runner (asterisk_conf/sandbox/sipp.py) leaves no process behind when the
run is cancelled — a test's timeout, a bench stopped with SIGTERM — so no SIPp goes on
calling into the next test or bench; and waiting for a SIPp to bind its port never
takes that port from it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import threading
import time
from pathlib import Path

from asterisk_conf.sandbox.sipp import Sipp, udp_bound
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


def _port_no_one_is_handed() -> int:
    """A free UDP port below the kernel's ephemeral range: no other socket (the other
    test worker's, a resolver's) is handed it by ``bind(0)`` while the test runs — one
    was once, in CI, when this test took its port from ``bind(0)`` itself."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for port in random.sample(range(20000, min(low, 32768)), 50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError("no free UDP port below the ephemeral range")


async def test_waiting_for_a_port_never_holds_it() -> None:
    """A desk phone's UAS once exited with "Unable to bind main socket": the wait for
    it to bind probed by binding the port itself. Here a thread binds and closes the
    port as fast as it can while ``udp_bound`` waits; it must never find it taken."""
    port = _port_no_one_is_handed()
    refused = 0
    stop = threading.Event()

    def bind_in_a_loop() -> None:
        nonlocal refused
        while not stop.is_set():
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    refused += 1

    thread = threading.Thread(target=bind_in_a_loop)
    thread.start()
    ends = time.monotonic() + 1.0
    try:
        while time.monotonic() < ends:  # it returns when it sees the thread's bind
            await udp_bound("127.0.0.1", port, gone=lambda: time.monotonic() > ends)
    finally:
        stop.set()
        thread.join()
    assert refused == 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as held:
        held.bind(("127.0.0.1", port))
        await asyncio.wait_for(udp_bound("127.0.0.1", port), 2)
