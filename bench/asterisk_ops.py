"""Benchmark: what each action the service sends for a call costs Asterisk (issue 13).

A call in the full set-up makes the service send, besides the recording's reads, two
lamp changes (``Setvar DEVICE_STATE(Custom:agent<job>)``: on hold, not in use; the
phone in the lamp's hint shows ringing and in use) and two ``QueuePause`` (the wrap-up's
pause and its end). Each is cheap
alone; but app_queue answers every device-state change by walking its members, and
every pause by an event per queue. With ``--agents`` members in the queues as in the
capacity bench (added over AMI; in the owners' queue too with ``--owners``), this
sends one kind of action at ``--rate`` per second for ``--seconds`` and prints
Asterisk's CPU per action, the events the observer saw per action and Asterisk's
deepest task-processor queues:

- ``ping``: the baseline, an AMI round trip;
- ``lamp``: a lamp change, the values cycling as a call's do (a value the lamp already
  has changes nothing in Asterisk, so the cycle is of the lamps a call sets);
- ``pause``: ``QueuePause`` of a member in all its queues, paused then unpaused;
- ``pause-queue``: the same naming the queue.

``--persistent off`` runs it with app_queue's ``persistentmembers = no`` (the rendered
``yes`` restored after): with it, every pause writes the queue's whole member list to
AstDB.

    sudo flock /tmp/hotline-e2e.lock .venv/bin/python bench/asterisk_ops.py \\
        [--agents 2000] [--owners] [--rate 40] [--seconds 20] [--persistent on|off] \\
        [--kinds ping,lamp,pause,pause-queue]

Needs the sandbox and nobody else on it (take the e2e lock); leaves no member behind.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent_state.model import LAMPS, State
from ami import AmiClient
from ami.actions import Action, Ping, QueueAdd, QueuePause, QueueRemove, Setvar
from asterisk_conf.sandbox.sandbox import Sandbox
from bench import roster
from bench.callpath import (
    Observer,
    alone_interface,
    bench_sandbox,
    conf_meanwhile,
    phone_extension,
)
from bench.serving import service_ami
from bench.taskprocessors import Sampler, deepest
from core.names import OWNER_QUEUE, lamp_device
from core.settings import load_settings

KINDS = ("ping", "lamp", "pause", "pause-queue")
# the lamps a call sets, in order (the model sets one only when it changes)
CALL_LAMPS = tuple(LAMPS[s].value for s in (State.WRAP_UP, State.IDLE))


def actions(kind: str, agents: int, queue: str) -> Callable[[int], Action]:
    """The ``n``-th action of ``kind``: spread over the members as calls are."""

    def member(n: int) -> str:
        return alone_interface(phone_extension(n % agents))

    if kind == "ping":
        return lambda n: Ping()
    if kind == "lamp":
        return lambda n: Setvar(
            f"DEVICE_STATE({lamp_device(roster.job_number(n // len(CALL_LAMPS) % agents))})",
            CALL_LAMPS[n % len(CALL_LAMPS)],
        )
    if kind == "pause":
        return lambda n: QueuePause(member(n // 2), n % 2 == 0, reason="wrap_up" if n % 2 else "")
    if kind == "pause-queue":
        return lambda n: QueuePause(
            member(n // 2), n % 2 == 0, queue=queue, reason="wrap_up" if n % 2 else ""
        )
    raise ValueError(f"kind {kind!r}: one of {KINDS}")


@contextlib.contextmanager
def persistent_members(box: Sandbox, on: bool) -> Iterator[None]:
    """app_queue's ``persistentmembers`` as asked (queues.conf, ``module reload
    app_queue``); the rendered file restored afterwards."""
    if on:
        yield
        return
    rendered = (box.root / "etc/asterisk/queues.conf").read_text()
    off = rendered.replace("persistentmembers = yes", "persistentmembers = no")
    with conf_meanwhile(box, "queues.conf", off, "module reload app_queue"):
        yield


@contextlib.asynccontextmanager
async def members(ami: AmiClient, queues: tuple[str, ...], agents: int) -> AsyncIterator[None]:
    """``agents`` members, unpaused, in each of ``queues``; removed afterwards."""
    for i in range(agents):
        ext = phone_extension(i)
        for queue in queues:
            add = QueueAdd(queue, alone_interface(ext), roster.job_number(i), f"PJSIP/{ext}")
            await ami.send(add)
    try:
        yield
    finally:
        for i in range(agents):
            for queue in queues:
                with contextlib.suppress(Exception):
                    await ami.send(QueueRemove(queue, alone_interface(phone_extension(i))))


@dataclass(frozen=True)
class Bench:
    box: Sandbox
    ami: AmiClient
    observer: Observer
    processors: Sampler


async def measure(
    bench: Bench, kind: str, make: Callable[[int], Action], rate: float, seconds: float
) -> None:
    box, ami, observer, processors = bench.box, bench.ami, bench.observer, bench.processors
    count = max(1, round(rate * seconds))
    pid = box.asterisk.pid()
    await asyncio.sleep(2)  # the previous kind's events drained
    observer.take()
    processors.take()
    cpu0, began = roster.cpu_s(pid), time.monotonic()
    pending = []
    failed = 0
    for n in range(count):
        pending.append(asyncio.create_task(ami.send(make(n))))
        await asyncio.sleep(max(0.0, began + (n + 1) / rate - time.monotonic()))
    for result in await asyncio.gather(*pending, return_exceptions=True):
        failed += isinstance(result, BaseException)
    await asyncio.sleep(1)  # the last actions' events
    wall = time.monotonic() - began
    cpu = roster.cpu_s(pid) - cpu0
    seen = observer.take()
    print(
        f"{kind:11} {count:6d} {failed:5d} {100 * cpu / wall:6.1f} {1000 * cpu / count:7.2f} "
        f"{seen.events / count:7.1f}  {deepest(processors.take())}",
        flush=True,
    )


async def run(args: argparse.Namespace) -> None:
    settings = load_settings(os.environ)
    queues = (settings.queue, OWNER_QUEUE) if args.owners else (settings.queue,)
    async with bench_sandbox(settings, args.agents) as box:
        secrets = box.ensure_secrets()
        ami = service_ami(settings, secrets)
        await ami.start()
        try:
            with persistent_members(box, args.persistent == "on"):
                await measure_all(box, ami, queues, args)
        finally:
            await ami.close()


async def measure_all(
    box: Sandbox, ami: AmiClient, queues: tuple[str, ...], args: argparse.Namespace
) -> None:
    settings = box.settings
    async with (
        members(ami, queues, args.agents),
        Observer(settings, box.ensure_secrets()["ami_observer"]) as observer,
        Sampler(box.asterisk.cli) as processors,
    ):
        print(
            f"{args.agents} members in {', '.join(queues)}; {args.rate:g} actions/s for "
            f"{args.seconds:g} s each; persistentmembers {args.persistent}; "
            f"load {roster.load_average()}"
        )
        print(f"{'kind':11} {'sent':>6} {'fail':>5} {'*cpu%':>6} {'*ms/a':>7} {'ev/a':>7}")
        bench = Bench(box, ami, observer, processors)
        for kind in args.kinds.split(","):
            make = actions(kind, args.agents, settings.queue)
            await measure(bench, kind, make, args.rate, args.seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--agents", type=int, default=2000)
    parser.add_argument("--owners", action="store_true", help="members in the owners' queue too")
    parser.add_argument("--rate", type=float, default=40.0, help="actions/s")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--persistent", choices=("on", "off"), default="on")
    args = parser.parse_args()
    for kind in args.kinds.split(","):
        actions(kind, 1, "q")  # an unknown kind fails before the sandbox is touched
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
