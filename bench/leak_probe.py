"""What the service keeps per call: the soak's call shape fed through the real handlers.

No Asterisk, no PostgreSQL: synthetic AMI events (a trunk caller, greeting, queue 12333,
a ``Local`` member answering through a second ``Local`` pair, the member side hanging up
first), dispatched by a real (never connected) ``AmiClient`` to the handlers ``serve``
attaches: the call recorder (writes stubbed), the queue counts, the agent watch and
service (transitions stubbed, wrap-up short), the console's live calls and the
wallboard's queue callers. Prints, after N and 5N calls, the sizes of the per-call
dicts and tracemalloc's top growth between the two.

    .venv/bin/python -m bench.leak_probe --calls 600   (about a minute; 1000: ~8)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from agent_state.carrier import AsteriskCarrier
from agent_state.member import Member
from agent_state.model import Agent, State
from agent_state.service import AgentService
from agent_state.watch import AsteriskWatch
from ami import AmiClient
from ami.events import Event, parse_event
from calls.live import LiveCalls
from calls.model import ENTRY_CONTEXT
from calls.service import CallRecorder, QueueWaiting
from core.actor import Role
from core.names import PAUSE_WRAP_UP
from core.settings import Settings
from pages.console_calls import ConsoleCalls
from pages.wallboard_queues import QueueWatch
from web.metrics import Metrics

QUEUE = "12333"
T0 = 1_800_000_000.0


class Writes:
    """``DurableWrites`` stand-in: every write succeeds at once."""

    depth = 0

    async def write(self, _kind: str, _args: Any, *, may_journal: bool) -> bool:
        return True


class Reply:
    events: tuple[Event, ...] = ()


async def _sent(_action: Any, **_kw: Any) -> Reply:
    return Reply()


def call_events(n: int, job: str, ext: str) -> Iterator[Event]:
    """One soak call, the n-th: its own Uniqueids, Linkedid and channel names."""
    at = T0 + n
    lid = f"{int(at)}.{4 * n}"
    caller = f"PJSIP/pstn-trunk-{n:08x}"
    member = f"Local/{ext}@agents-local-{2 * n:08x}"
    answer = f"Local/{ext}@hl-bench-answer-{2 * n + 1:08x}"
    base = {"Linkedid": lid}

    def ev(name: str, dt: float, **headers: str) -> Event:
        return parse_event({"Event": name, "Timestamp": f"{at + dt:.6f}", **base, **headers})

    yield ev(
        "Newchannel",
        0,
        Channel=caller,
        Uniqueid=lid,
        Context=ENTRY_CONTEXT,
        Exten=QUEUE,
        CallerIDNum=f"138{n:08d}",
        CallerIDName="<unknown>",
    )
    yield ev("UserEvent", 0.5, UserEvent="HotlineGreeting", Uniqueid=lid, Status="SUCCESS")
    yield ev("QueueCallerJoin", 0.51, Queue=QUEUE, Uniqueid=lid, Channel=caller, Count="1")
    for i, chan in enumerate((f"{member};1", f"{member};2", f"{answer};1", f"{answer};2")):
        yield ev("Newchannel", 0.52, Channel=chan, Uniqueid=f"{lid}{i + 1}", Context="x")
    yield ev(
        "AgentCalled",
        0.52,
        Queue=QUEUE,
        MemberName=job,
        Interface=f"Local/{ext}@agents-local/n",
        Uniqueid=lid,
        Channel=caller,
        CallerIDNum=f"138{n:08d}",
        DestChannel=f"{member};1",
    )
    yield ev("AgentConnect", 0.6, Queue=QUEUE, MemberName=job, Uniqueid=lid, Channel=caller)
    yield ev("QueueCallerLeave", 0.6, Queue=QUEUE, Uniqueid=lid, Channel=caller, Count="0")
    for i, chan in ((4, f"{answer};2"), (3, f"{answer};1"), (2, f"{member};2")):
        yield ev("HangupRequest", 10.6, Channel=chan, Uniqueid=f"{lid}{i}")
        yield ev("Hangup", 10.6, Channel=chan, Uniqueid=f"{lid}{i}", Cause="16")
    # the member leg's wrap-up handler pauses the member (R4) before app_queue's AgentComplete
    # when the agent hangs up first, as the soak's do
    yield ev(
        "QueueMemberPause",
        10.6,
        Queue=QUEUE,
        MemberName=job,
        Interface=f"Local/{ext}@agents-local/n",
        Paused="1",
        PausedReason=PAUSE_WRAP_UP,
    )
    yield ev("AgentComplete", 10.61, Queue=QUEUE, MemberName=job, Reason="agent", Uniqueid=lid)
    yield ev("Hangup", 10.62, Channel=f"{member};1", Uniqueid=f"{lid}1", Cause="16")
    yield ev("SoftHangupRequest", 10.62, Channel=caller, Uniqueid=lid, Cause="16")
    yield ev("Hangup", 10.63, Channel=caller, Uniqueid=lid, Cause="16")


class Stubs:
    async def categories(self) -> list[str]:
        return []


class Probe:
    def __init__(self, agents: int) -> None:
        self.ami = AmiClient("127.0.0.1", 1, "probe", "probe")
        self.ami.send = _sent  # type: ignore[method-assign]
        self.queues = QueueWaiting(self.ami)
        self.metrics = Metrics(self.ami, self.queues, writes=lambda: None, dispatch=lambda: None)
        writes: Any = Writes()
        self.recorder = CallRecorder(
            self.ami, None, writes=writes, on_recorded=self.metrics.call_recorded
        )
        self.recorder.attach()
        self.queues.attach()
        carrier = AsteriskCarrier(self.ami, on_failure=lambda job: None)
        self.agents = AgentService(None, carrier, wrap_up_s=0.001, writes=writes)
        self.jobs = [(f"{10000 + i}", f"{20000 + i}") for i in range(agents)]
        now = datetime.now(UTC)
        for job, ext in self.jobs:
            self.agents.members[job] = Member(job, job, ext, Role.AGENT, "", ((QUEUE, 0),))
            self.agents.agents[job] = Agent(job, State.IDLE, since=now, phone=ext)
        reconciler: Any = type("R", (), {"soon": lambda self, _s: None})()
        self.watch = AsteriskWatch(
            self.ami,
            self.agents,
            carrier,
            reconciler,
            pause_wait_s=Settings().wrap_up_pause_wait_s,
        )
        self.watch.attach()
        self.live = LiveCalls()
        self.live.attach(self.ami)
        stub: Any = Stubs()
        self.console = ConsoleCalls(
            self.agents, stub, stub, None, self.live, wrap_up_s=0.001, tz=ZoneInfo("UTC")
        )
        self.wallboard = QueueWatch(self.ami, (QUEUE,), lambda: None, lambda: 0.0)
        self.wallboard.attach()
        self.made = 0

    async def run(self, calls: int, batch: int = 100) -> None:
        for start in range(self.made, self.made + calls, batch):
            for n in range(start, start + batch):
                job, ext = self.jobs[n % len(self.jobs)]
                for event in call_events(n, job, ext):
                    self.ami._dispatch(event)
            await self.settle()
        self.made += calls

    async def settle(self) -> None:
        for _ in range(50):
            await asyncio.sleep(0.002)
            pending = self.watch._tasks | self.recorder._writes
            if not pending and not self.agents._timers:
                return
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)

    def sizes(self) -> dict[str, int]:
        a = self.agents
        return {
            "recorder.drafts": len(self.recorder.drafts),
            "live.drafts": len(self.live.drafts),
            "live.offered": len(self.live.offered),
            "watch.ringing": len(self.watch.ringing),
            "watch._tasks": len(self.watch._tasks),
            "agents._locks": len(a._locks),
            "agents._timers": len(a._timers),
            "agents._generation": len(a._generation),
            "agents._waiters": sum(len(w) for w in a._waiters.values()),
            "console.calls": len(self.console.calls),
            "console._facts": len(self.console._facts),
            "wallboard.joined": sum(len(c) for c in self.wallboard.callers.joined.values()),
            "ami._by_name": len(self.ami._by_name),
            "carrier._sent": len(self.watch.carrier._sent),
            "gc.objects": len(gc.get_objects()),
        }


def states(probe: Probe) -> dict[str, int]:
    counted: dict[str, int] = {}
    for agent in probe.agents.agents.values():
        counted[agent.state.value] = counted.get(agent.state.value, 0) + 1
    return counted


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--agents", type=int, default=600)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    probe = Probe(args.agents)
    await probe.run(args.calls)  # warm-up: every agent has answered at least once
    gc.collect()
    tracemalloc.start(1)
    first, s1 = probe.sizes(), tracemalloc.take_snapshot()
    await probe.run(4 * args.calls)
    gc.collect()
    second, s2 = probe.sizes(), tracemalloc.take_snapshot()
    print(f"calls {args.calls} -> {probe.made}; agents by state {states(probe)}")
    for key in first:
        print(f"  {key:22} {first[key]:>8} {second[key]:>8}")
    stats = s2.compare_to(s1, "lineno")
    total = sum(s.size_diff for s in stats)
    print(f"traced growth over {4 * args.calls} calls: {total / 1024:.1f} KiB")
    print(f"  = {total / (4 * args.calls):.0f} bytes a call")
    for stat in stats[:8]:
        print(f"{stat.size_diff / 1024:+.1f} KiB, {stat.count_diff:+d} blocks")
        for line in stat.traceback.format()[-8:]:
            print("   ", line)


if __name__ == "__main__":
    asyncio.run(main())
