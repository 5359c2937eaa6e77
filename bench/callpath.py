"""What the capacity and soak benchmarks share: the real call path under load.

- ``bench_sandbox``: the sandbox rendered with the bench phones (asterisk_conf
  ``bench_phones``: static contacts on one SIPp that answers them all) for the run, and
  rendered without them afterwards, whatever happened;
- ``answering``: who answers the members' calls — the dialplan (``hl-bench-answer``:
  answer, wait the talk time, hang up; no SIP on the member side, the default) or
  ``Phones``, that one answering SIPp (talks a set time from its answer, then hangs up);
- ``clear_members``: every bench member still in a queue removed (an interrupted run
  leaves the service's members behind: nobody signed them out);
- ``Callers``: SIPp callers from the trunk to the entry number at a rate, SIP setup
  times (INVITE -> 200) from SIPp's response-time trace;
- ``Observer``: a separate AMI session (the sandbox's observer user) that times
  ``QueueCallerJoin -> AgentConnect`` by Asterisk's Timestamps, counts events, and
  counts misroutes (an ``AgentCalled`` for a member last seen paused, or for one still
  in a call: connected and not yet complete);
- ``cel_off`` / ``queue_wrapuptime``: the "Asterisk alone" set-up's config, restored.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ami import AmiClient
from ami.events import Event
from asterisk_conf.model import BENCH_FIRST_PHONE
from asterisk_conf.sandbox import bench_leftovers
from asterisk_conf.sandbox.sandbox import OBSERVER_USER, Sandbox
from asterisk_conf.sandbox.sipp import SCENARIO_DIR, Sipp, SippResult, udp_bound
from bench.serving import service_ami
from core import names
from core.settings import Settings

PHONE_PORT = 5090  # the bench phones' one SIPp (AsteriskConf.bench_phone_port)
PHONE_MEDIA_PORT = 16000
CALLER_MEDIA_PORT = 17000
BENCH_CALLER = "bench-caller.xml"
ANSWERERS = ("dialplan", "sipp")
_PCAP = re.compile(r"<nop>\s*<action>\s*<exec play_pcap_audio=[^>]*/>\s*</action>\s*</nop>")


def phone_extension(i: int) -> str:
    return str(BENCH_FIRST_PHONE + i)


def alone_interface(extension: str) -> str:
    """The member of the "Asterisk alone" set-up: the desk-phone path without the
    wrap-up pause (extensions.conf's bench block)."""
    return f"Local/{extension}@hl-bench-alone/n"


@contextlib.asynccontextmanager
async def bench_sandbox(settings: Settings, phones: int) -> AsyncIterator[Sandbox]:
    """The sandbox with ``phones`` bench phones, and without them again afterwards
    (``up`` renders, reloads only what changed, and leaves everything running; it runs
    its own event loop, so in a thread here); no bench member is left in a queue, before
    or after, no call, and no CEL row of the run, even of a killed one (bench_leftovers.py;
    the sandbox is the bench's alone: it holds the e2e lock)."""
    box = Sandbox(settings, bench_phones=phones)
    await asyncio.to_thread(box.up)
    url = box.database_url(box.ensure_secrets())
    await bench_leftovers.begin(url, box.bench_mark)  # `sandbox up` ends it if we are killed
    try:
        await clear_members(settings, box)  # an earlier run's, killed before its clean-up
        yield box
    finally:
        try:
            # a run stopped early leaves callers in the queue (SIPp gone without a BYE)
            await asyncio.to_thread(bench_leftovers.hang_up_all, box.asterisk.cli)
            await clear_members(settings, box)
        finally:
            deleted = await bench_leftovers.end(url, box.cel_spool, box.bench_mark)
            print(f"  the run's {deleted} CEL rows deleted from the sandbox's database", flush=True)
            await asyncio.to_thread(Sandbox(settings).up)


async def cel_loaded(box: Sandbox, url: str, *, within_s: float) -> bool:
    """Whether every CEL row Asterisk wrote reached the ``cel`` table in time."""
    return await bench_leftovers.loaded(url, box.cel_spool, within_s=within_s)


async def clear_members(settings: Settings, box: Sandbox) -> int:
    """Remove every bench phone's member from every queue (over AMI, as the service's
    user); returns how many were left behind."""
    ami = service_ami(settings, box.ensure_secrets())
    await ami.start()
    try:
        left = await bench_leftovers.remove_members(ami, box.asterisk.cli)
    finally:
        await ami.close()
    if left:
        print(f"  removed {left} bench members left in the queues", flush=True)
    return left


def set_answering(box: Sandbox, how: str, talk_s: float) -> None:
    """The bench globals the members' dialplan reads (extensions.conf's bench block);
    set again before each use: a dialplan reload may clear globals."""
    box.asterisk.cli(f"dialplan set global HL_BENCH_ANSWER {how}")
    box.asterisk.cli(f"dialplan set global HL_BENCH_TALK_S {talk_s:g}")


@contextlib.asynccontextmanager
async def answering(box: Sandbox, sipp: Sipp, how: str, talk_s: float) -> AsyncIterator[None]:
    """The members' calls answered by ``how``: "dialplan" or "sipp" (the one SIPp)."""
    if how not in ANSWERERS:
        raise ValueError(f"answered by {how!r}: one of {ANSWERERS}")
    set_answering(box, how, talk_s)
    if how == "sipp":
        async with Phones(sipp, talk_ms=int(talk_s * 1000)):
            yield
    else:
        yield


@contextlib.contextmanager
def conf_meanwhile(box: Sandbox, name: str, text: str, reload: str) -> Iterator[None]:
    """``etc/asterisk/<name>`` holds ``text`` and Asterisk's CLI ``reload`` is run; the
    rendered file restored, and reloaded, afterwards (also on an error or Ctrl-C)."""
    path = box.root / "etc/asterisk" / name
    before = path.read_bytes()
    path.write_text(text)
    box.asterisk.cli(reload)
    try:
        yield
    finally:
        path.write_bytes(before)
        box.asterisk.cli(reload)


def cel_off(box: Sandbox) -> contextlib.AbstractContextManager[None]:
    """CEL disabled in Asterisk (``enable = no``, ``module reload cel``) meanwhile."""
    return conf_meanwhile(box, "cel.conf", "[general]\nenable = no\n", "module reload cel")


# what the service's AMI user was sent before its include filter (ami.events.STREAMED):
# every event of its classes but asterisk.md §8's three
UNFILTERED_EXCLUDES = ("VarSet", "Newexten", "TestEvent")


def service_unfiltered(box: Sandbox, user: str) -> contextlib.AbstractContextManager[None]:
    """The service's AMI user ``user`` without its include filter, as before it, meanwhile
    (``manager reload``): what the filter saves, side by side. A session keeps the filter
    it logged in with, so start the service inside."""
    rendered = (box.root / "etc/asterisk/manager.conf").read_text()
    lines, section = [], ""
    for line in rendered.splitlines():
        if line.startswith("["):
            section = line
        if line.startswith("eventfilter(action(include)"):
            continue
        lines.append(line)
        if section == f"[{user}]" and line.startswith("write ="):
            lines += [f"eventfilter(action(exclude),name({e})) =" for e in UNFILTERED_EXCLUDES]
    return conf_meanwhile(box, "manager.conf", "\n".join(lines) + "\n", "manager reload")


@contextlib.contextmanager
def queue_wrapuptime(box: Sandbox, queue: str, seconds: int) -> Iterator[None]:
    """The queue's ``wrapuptime`` (app_queue's own wrap-up, which the service replaces)
    for the "Asterisk alone" set-up, through the live plan's queue file; restored."""
    path = box.root / "etc/asterisk" / names.PLANS_DIR / names.PLANS_QUEUES_FILE
    before = path.read_bytes() if path.exists() else None
    path.write_bytes((before or b"") + f"\n[{queue}](+)\nwrapuptime = {seconds}\n".encode())
    box.asterisk.cli(f"queue reload parameters {queue}")
    try:
        yield
    finally:
        if before is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(before)
        box.asterisk.cli(f"queue reload parameters {queue}")


class Phones:
    """One SIPp answering every bench phone: rings ``ring_ms``, talks ``talk_ms``."""

    def __init__(self, sipp: Sipp, *, ring_ms: int = 100, talk_ms: int = 3000) -> None:
        self.sipp = sipp
        self.ring_ms = ring_ms
        self.talk_ms = talk_ms
        self.proc: asyncio.subprocess.Process | None = None

    async def __aenter__(self) -> Phones:
        text = self.sipp.scenario_text("phone-hangup.xml")
        scenario = self.sipp.write_scenario(
            "bench-phone.xml",
            text.replace('milliseconds="TALK_MS"', f'milliseconds="{self.talk_ms}"'),
        )
        argv = self.sipp.argv(
            scenario,
            PHONE_PORT,
            PHONE_MEDIA_PORT,
            "-aa",
            "-d",
            str(self.ring_ms),
            "-max_socket",
            "60000",
            timeout_s=24 * 3600,
            to_asterisk=False,
        )
        # -timeout_error would fail the phones on a slow run: they run until stopped
        argv.remove("-timeout_error")
        self.proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        proc = self.proc
        await udp_bound(self.sipp.local_ip, PHONE_PORT, gone=lambda: proc.returncode is not None)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGUSR1)
            try:
                async with asyncio.timeout(5):
                    await self.proc.wait()
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()


@dataclass(frozen=True)
class CallerRun:
    result: SippResult
    setup_ms: list[float]  # INVITE -> 200 of each call
    seconds: float


class Callers:
    """SIPp callers from the trunk: ``count`` calls at ``rate``/s to ``number``, each
    waiting for Asterisk's BYE (the phone hangs up)."""

    def __init__(self, sipp: Sipp, number: str, trunk_port: int) -> None:
        self.sipp = sipp
        self.number = number
        self.trunk_port = trunk_port
        text = _PCAP.sub("", sipp.scenario_text("caller-wait-bye.xml"))
        sipp.write_scenario(BENCH_CALLER, text)
        self.taskset: list[str] = []

    async def run(self, rate: float, count: int, timeout_s: float) -> CallerRun:
        argv = self.sipp.argv(
            BENCH_CALLER,
            self.trunk_port,
            CALLER_MEDIA_PORT,
            "-s",
            self.number,
            "-m",
            str(count),
            "-r",
            f"{rate:g}",
            "-l",
            "100000",
            "-max_socket",
            "60000",
            "-key",
            "caller",
            "13800138000",
            "-key",
            "caller_name",
            "",
            "-trace_rtt",
            "-rtt_freq",
            "1",
            timeout_s=timeout_s,
        )
        for old in self._rtt_files():
            old.unlink(missing_ok=True)
        began = time.perf_counter()
        result = await self.sipp.run([*self.taskset, *argv], timeout_s + 30)
        seconds = time.perf_counter() - began
        setup: list[float] = []
        for path in self._rtt_files():
            setup += _rtt_ms(path.read_text(errors="replace"))
            path.unlink(missing_ok=True)
        return CallerRun(result, setup, seconds)

    def _rtt_files(self) -> list[Path]:
        stem = BENCH_CALLER.removesuffix(".xml")
        folder = self.sipp.root / SCENARIO_DIR.lstrip("/")
        return [*folder.glob(f"{stem}_*_rtt.csv"), *self.sipp.root.glob(f"{stem}_*_rtt.csv")]


def _rtt_ms(text: str) -> list[float]:
    """The response times of SIPp's rtt trace (``date_ms;time_ms;rtd_no;``)."""
    values = []
    for line in text.splitlines()[1:]:
        parts = line.split(";")
        with contextlib.suppress(IndexError, ValueError):
            values.append(float(parts[1]))
    return values


@dataclass
class Window:
    """What the observer saw since the last ``take``."""

    events: int = 0
    device_states: int = 0  # DeviceStateChange: each is a walk of every queue member
    called: int = 0
    joined: int = 0
    misroutes: int = 0
    joins: dict[str, float] = field(default_factory=dict)
    connect_wait_ms: list[float] = field(default_factory=list)
    connect_at: list[float] = field(default_factory=list)
    began: float = field(default_factory=time.monotonic)


class Observer:
    """Every event through the sandbox's observer AMI user, never the service's."""

    def __init__(self, settings: Settings, secret: str) -> None:
        # a loaded Asterisk answers the keepalive Ping behind its queued events: the
        # observer waits for it (2 s, the service's, dropped it above the knee)
        self.ami = AmiClient(
            settings.ami_host, settings.ami_port, OBSERVER_USER, secret, keepalive_timeout=30.0
        )
        self.ami.on_event("*", self._on_event)
        self.paused: dict[str, bool] = {}
        self.in_call: set[str] = set()  # members between AgentConnect and AgentComplete
        self.window = Window()

    async def __aenter__(self) -> Observer:
        await self.ami.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.ami.close()

    def take(self) -> Window:
        """The window so far; callers still waiting are carried into the next one."""
        taken, self.window = self.window, Window()
        self.window.joins = taken.joins
        taken.joins = dict(taken.joins)
        return taken

    def _on_event(self, event: Event) -> None:
        w = self.window
        w.events += 1
        name = event.name
        if name == "DeviceStateChange":
            w.device_states += 1
        elif name in ("QueueMemberPause", "QueueMemberStatus", "QueueMemberAdded"):
            self.paused[event.get("Interface")] = event.get("Paused") == "1"
        elif name == "QueueMemberRemoved":
            self.paused.pop(event.get("Interface"), None)
        elif name == "QueueCallerJoin":
            w.joined += 1
            w.joins[event.get("Uniqueid")] = event.timestamp
        elif name == "AgentCalled":
            w.called += 1
            interface = event.get("Interface")
            if self.paused.get(interface) or interface in self.in_call:
                w.misroutes += 1
        elif name == "AgentComplete":
            self.in_call.discard(event.get("Interface"))
        elif name == "AgentConnect":
            self.in_call.add(event.get("Interface"))
            w.connect_at.append(event.timestamp)
            joined = w.joins.pop(event.get("Uniqueid"), None)
            if joined is not None and event.timestamp:
                w.connect_wait_ms.append((event.timestamp - joined) * 1000)
        elif name == "QueueCallerAbandon":
            w.joins.pop(event.get("Uniqueid"), None)
