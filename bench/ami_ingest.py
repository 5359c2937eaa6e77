"""Benchmark: AMI event ingest through the adapter (issue 3's figure: >= 40,000 events/s).

A separate process replays the recorded Asterisk 22 traffic (tests/fixtures/ami/) many
times over loopback TCP as fast as the socket takes it; this process runs the adapter
(``AmiClient``): incremental UTF-8 decoding, typed events, dispatch to one handler.
Prints events/s, this process's CPU time over the run, and its peak memory.

    .venv/bin/python bench/ami_ingest.py [--repeats 200] [--panoramisk]

``--panoramisk`` measures panoramisk 1.4's own Manager with one handler instead, for
comparison (no typed events, no guards).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import socket
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ami import AmiClient
from core.logging import configure_logging

RECORDING = Path(__file__).resolve().parent.parent / "tests/fixtures/ami/queue-calls-read-all.ami"
LOGIN_REPLY_END = b"Message: Authentication accepted\r\n\r\n"


def _events_body() -> tuple[bytes, int]:
    data = RECORDING.read_bytes()
    body = data[data.index(LOGIN_REPLY_END) + len(LOGIN_REPLY_END) :]
    return body, body.count(b"\r\n\r\n")


def _serve(port_out: Any, repeats: int) -> None:
    body, _ = _events_body()
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port_out.put(server.getsockname()[1])
    conn, _ = server.accept()
    conn.sendall(b"Asterisk Call Manager/11.0.0\r\n")
    request = b""
    while b"\r\n\r\n" not in request:
        request += conn.recv(4096)
    action_id = next(
        line.split(b": ", 1)[1]
        for line in request.split(b"\r\n")
        if line.lower().startswith(b"actionid")
    )
    conn.sendall(
        b"Response: Success\r\nActionID: " + action_id + b"\r\n" + LOGIN_REPLY_END[:-2] + b"\r\n"
    )
    batch = body * 10
    for _ in range(repeats // 10):
        conn.sendall(batch)
    conn.close()
    server.close()


class _Counter:
    """Counts events; notes when the first arrived and when the last one did."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.count = 0
        self.started = 0.0
        self.done = asyncio.Event()

    def __call__(self, *_args: Any) -> None:
        if self.count == 0:
            self.started = time.perf_counter()
        self.count += 1
        if self.count == self.expected:
            self.done.set()


async def _run_adapter(port: int, expected: int) -> tuple[float, float]:
    counter = _Counter(expected)
    client = AmiClient(
        "127.0.0.1",
        port,
        "bench",
        "bench-secret-00000000",
        keepalive_interval=3600,
        action_timeout=30,
        login_timeout=10,
    )
    client.on_event("*", counter)
    cpu0 = time.process_time()
    await client.start()
    async with asyncio.timeout(600):
        await counter.done.wait()
    elapsed = time.perf_counter() - counter.started
    cpu = time.process_time() - cpu0
    await client.close()
    return elapsed, cpu


async def _run_panoramisk(port: int, expected: int) -> tuple[float, float]:
    from panoramisk import Manager

    counter = _Counter(expected)
    manager = Manager(
        loop=asyncio.get_running_loop(),
        host="127.0.0.1",
        port=port,
        username="bench",
        secret="x",
        ping_delay=3600,
        reconnect_timeout=3600,
    )
    manager.register_event("*", counter)
    cpu0 = time.process_time()
    manager.connect()
    async with asyncio.timeout(600):
        await counter.done.wait()
    elapsed = time.perf_counter() - counter.started
    cpu = time.process_time() - cpu0
    manager.connection_lost = lambda exc: None
    manager.close()
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=200, help="times the recording is sent")
    parser.add_argument("--panoramisk", action="store_true", help="measure panoramisk alone")
    args = parser.parse_args()
    configure_logging("console", "warning")
    repeats = max(10, args.repeats // 10 * 10)
    _, per_copy = _events_body()
    expected = per_copy * repeats

    ports: Any = multiprocessing.Queue()
    server = multiprocessing.Process(target=_serve, args=(ports, repeats), daemon=True)
    server.start()
    port = ports.get(timeout=10)
    run = _run_panoramisk if args.panoramisk else _run_adapter
    elapsed, cpu = asyncio.run(run(port, expected))
    server.join(10)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    who = "panoramisk 1.4 alone (one handler)" if args.panoramisk else "hotline ami adapter"
    print(f"{who}: {expected:,} events ({repeats} x {per_copy} recorded) over loopback TCP")
    print(f"  events/s        {expected / elapsed:,.0f}")
    print(f"  wall            {elapsed:.2f} s")
    print(f"  CPU (process)   {cpu:.2f} s = {100 * cpu / elapsed:.0f} % of one core")
    print(f"  peak RSS        {peak_mb:.1f} MB")


if __name__ == "__main__":
    main()
