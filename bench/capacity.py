"""Benchmark: the real call path at Asterisk's limit, three set-ups side by side (issue 13).

SIPp callers from the trunk dial the entry number: the default plan's greeting (the
real ~10 s one), then the real queue, answered through the real member path
(``Local/<ext>@agents-local``: the R8 announcement of the job number, then the bridge)
by the bench phones ``bench_phones`` rendered for the run; ``--answer dialplan`` (the
default) answers them in a bench-only context (no SIP on the member side), ``--answer
sipp`` on one SIPp with a static contact for each; either hangs up ``--talk-s`` after
answering. Steps of calls/s, each ``--step-s`` long, then drained; the same ramp in
three set-ups:

- ``alone``: Asterisk alone: the service stopped, CEL off (``enable = no``), members
  added over AMI without the wrap-up pause, app_queue's ``wrapuptime`` in its place;
- ``cel``: the same with CEL on (as rendered: Asterisk appends to the spool file, the
  loader beside it, ``hotline cel-load``, COPYs it into PostgreSQL);
- ``full``: ``hotline serve`` as users run it, agents signed in over HTTP and idle,
  each cycling through the service's wrap-up (``HOTLINE_WRAP_UP_S``); ``--lamps off``
  runs it with ``HOTLINE_BLF_LAMPS=false``;
- ``unfiltered``, only when ``--setups`` names it: full, with the service's AMI user
  sent every event of its classes, as before its include filter
  (``ami.events.STREAMED``); against full, what the filter saves.

Per step: calls attempted / answered (AgentConnect) / failed (SIPp), achieved calls/s
(answered over the span of their AgentConnects), SIP setup (INVITE -> 200) p50/p99,
QueueCallerJoin -> AgentConnect p50/p99 (Asterisk's Timestamps, observer session),
CPU of Asterisk / the service / PostgreSQL / the CEL loader / SIPp (% of one core, and Asterisk's ms
per answered call), the service's RSS, AMI events/s (all events, observer) and
device-state changes per answered call (each a walk of every queue member), the AMI
actions the service sent and the events Asterisk streamed it per answered call (its
user's filter, ``ami.events.STREAMED``), the service's event lag p99 (its /metrics
histogram), ``calls`` rows vs calls made, CEL rows, misroutes, and Asterisk's two
deepest task-processor queues during the step (``bench/taskprocessors.py``: where
Asterisk falls behind). Then the knee of each
set-up and the ratios. ``--rounds N`` runs the set-ups N times, interleaved (alone,
full, alone, full…), and prints each set-up's q→a p99 pooled over its rounds against
alone's (and full against cel's) with a 90 % bootstrap interval (whole rounds
resampled, then the calls in them: the box drifts between rounds), each round's own
ratio, and alone's even rounds against its odd ones by the same method: how much one
set-up differs from itself, run to run, on this box. ``--from-waits`` prints those
figures again from the ``--waits-csv`` files of earlier runs.
``--waits-csv FILE`` keeps every q→a wait for another look. ``--asterisk-core 0,1``
gives Asterisk cores 0 and 1 alone and everything else the other cores
(``bench/pinning.py``): on a box of four cores or more, a node where Asterisk has cores
of its own. On two, Asterisk gets one, and every tail is longer (README, run AB).

    sudo flock /tmp/hotline-e2e.lock .venv/bin/python bench/capacity.py \\
        [--steps 20,40,80,120,160] [--step-s 10] [--talk-s 11] [--agents 2000] \\
        [--answer dialplan|sipp] [--sipp-core 1] [--asterisk-core 0,1] [--lamps on|off] \\
        [--profile DIR] [--setups alone,cel,full] [--rounds 1] [--waits-csv FILE] \\
        [--from-waits CSV…]

Needs the sandbox and nobody else on it (take the e2e lock). Leaves Asterisk's config
as it found it (rendered again without the bench phones; CEL and wrapuptime restored).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import dataclasses
import math
import os
import resource
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asterisk_conf.sandbox.sandbox import Sandbox
from asterisk_conf.sandbox.sipp import Sipp
from bench import pinning, roster
from bench.callpath import (
    ANSWERERS,
    Callers,
    Observer,
    answering,
    bench_sandbox,
    cel_loaded,
    cel_off,
    queue_wrapuptime,
    service_unfiltered,
    set_answering,
)
from bench.figures import (
    StepRate,
    actions_between,
    bucket_delta,
    histogram_buckets,
    histogram_quantile,
    knee,
    percentile,
    ratio,
    rounds_ratio_interval,
)
from bench.profile import report, sampling
from bench.serving import serve, service_ami
from bench.taskprocessors import Sampler, deepest, settle
from core.logging import configure_logging
from core.settings import Settings, load_settings
from dialplan.default_plan import ALWAYS
from hotline import waits

HTTP_PORT = 18091
SETUPS = ("alone", "cel", "full")
# on request (--setups): full with the service's AMI user sent every event of its
# classes, as before its include filter (ami.events.STREAMED): what the filter saves
UNFILTERED = "unfiltered"
WIDTH = len(UNFILTERED)  # of the set-up's column
LAG = "hotline_ami_event_lag"
EVENTS = "hotline_ami_events_total"  # what Asterisk streamed the service (its filter)


@dataclass(frozen=True)
class Args:
    steps: tuple[float, ...]
    step_s: float
    talk_s: float
    wrap_s: int
    agents: int
    setups: tuple[str, ...]
    sipp_core: int | None
    answer: str
    lamps: bool
    profile: Path | None = None  # py-spy on the service in each full step, written here
    rounds: int = 1  # the set-ups run this many times, interleaved
    waits_csv: Path | None = None  # every q→a wait, a line each, written here
    asterisk_cores: frozenset[int] = frozenset()  # Asterisk's own cores (bench/pinning.py)


@dataclass
class Ramp:
    """One set-up's ramp in one round: its steps and each step's q→a waits (ms)."""

    setup: str
    round: int
    steps: list[StepRate] = dataclasses.field(default_factory=list)
    waits: dict[float, list[float]] = dataclasses.field(default_factory=dict)


@dataclass
class Context:
    settings: Settings
    box: Sandbox
    callers: Callers
    observer: Observer
    url: str  # the sandbox's database (CEL)
    processors: Sampler
    service_pid: int | None = None
    service_db: str = ""


def header() -> str:
    return (
        f"{'set-up':{WIDTH}} {'offer':>5} {'att':>5} {'ans':>5} {'fail':>4} {'got/s':>6} "
        f"{'sip50':>6} {'sip99':>6} {'q→a50':>7} {'q→a99':>7} {'*cpu%':>6} {'*ms/c':>5} "
        f"{'svc%':>5} {'svcMB':>5} {'pg%':>5} {'load%':>5} {'sipp%':>5} {'ev/s':>6} "
        f"{'dev/c':>5} {'act/c':>5} {'sev/c':>5} {'lag99':>6} "
        f"{'rows':>5} {'cel':>6} {'mis':>3}  load / deepest task-processor queues"
    )


async def step(ctx: Context, setup: str, rate: float, args: Args) -> tuple[StepRate, list[float]]:
    count = max(1, round(rate * args.step_s))
    waited, depth = await settle(ctx.box.asterisk.cli)
    if waited >= 1:
        print(f"  Asterisk's queues settled in {waited:.0f} s (deepest now {depth})", flush=True)
    svc_before = await roster.scrape(HTTP_PORT) if ctx.service_pid else {}
    rows_sql = "SELECT count(*) FROM calls"
    rows0 = await roster.count(ctx.service_db, rows_sql) if ctx.service_db else 0
    cel0 = await roster.count(ctx.url, "SELECT count(*) FROM cel")
    ast_pid = ctx.box.asterisk.pid()
    set_answering(ctx.box, args.answer, args.talk_s)
    loader_pid = ctx.box.cel_loader.pid()
    ast0, svc0, pg0, sipp0, loader0 = (
        roster.cpu_s(ast_pid),
        roster.cpu_s(ctx.service_pid),
        roster.postgres_cpu_s(),
        _children_cpu_s(),
        roster.cpu_s(loader_pid),
    )
    ctx.observer.take()
    ctx.processors.take()
    began = time.monotonic()
    profile = None
    spying: contextlib.AbstractAsyncContextManager[None] = contextlib.nullcontext()
    if ctx.service_pid and args.profile is not None:
        profile = args.profile / f"{setup}-{rate:g}.txt"
        spying = sampling(ctx.service_pid, profile)
    async with spying:
        run = await ctx.callers.run(rate, count, timeout_s=args.step_s + 10 + args.talk_s + 60)
    wall = time.monotonic() - began
    attempted = run.result.successful + run.result.failed
    if ctx.service_db:  # the service writes a call's row at its hang-up: wait for them
        # past the knee a row waits up to calls.service.COMPLETION_WAIT_S for AgentComplete
        await roster.settle(ctx.service_db, rows_sql, rows0 + attempted, within_s=30.0)
    await cel_loaded(ctx.box, ctx.url, within_s=30)  # the last hang-ups' CEL rows
    seen = ctx.observer.take()
    ast_cpu = roster.cpu_s(ast_pid) - ast0
    svc_cpu = roster.cpu_s(ctx.service_pid) - svc0
    pg_cpu = roster.postgres_cpu_s() - pg0
    loader_cpu = roster.cpu_s(loader_pid) - loader0  # the CEL loader beside Asterisk
    sipp_cpu = _children_cpu_s() - sipp0  # the callers' SIPp, reaped by now
    queues = deepest(ctx.processors.take())
    answered = len(seen.connect_wait_ms)
    span = (max(seen.connect_at) - min(seen.connect_at)) if answered > 1 else 0.0
    achieved = answered / (span + 1 / rate) if answered else 0.0
    lag99 = actions = streamed = float("nan")
    rss = 0.0
    if ctx.service_pid:
        lag99, actions, streamed = service_figures(svc_before, await roster.scrape(HTTP_PORT))
        rss = _rss_mb(ctx.service_pid)
    rows = await roster.count(ctx.service_db, rows_sql) - rows0 if ctx.service_db else 0
    cel = await roster.count(ctx.url, "SELECT count(*) FROM cel") - cel0
    print(
        f"{setup:{WIDTH}} {rate:5.0f} {attempted:5d} {answered:5d} {run.result.failed:4d} "
        f"{achieved:6.1f} {percentile(run.setup_ms, 50):6.1f} {percentile(run.setup_ms, 99):6.1f} "
        f"{percentile(seen.connect_wait_ms, 50):7.1f} {percentile(seen.connect_wait_ms, 99):7.1f} "
        f"{100 * ast_cpu / wall:6.1f} {1000 * ratio(ast_cpu, answered):5.1f} "
        f"{100 * svc_cpu / wall:5.1f} {rss:5.0f} {100 * pg_cpu / wall:5.1f} "
        f"{100 * loader_cpu / wall:5.1f} "
        f"{100 * sipp_cpu / wall:5.1f} "
        f"{seen.events / wall:6.0f} {ratio(seen.device_states, answered):5.1f} "
        f"{ratio(actions, answered):5.1f} {ratio(streamed, answered):5.1f} {lag99:6.1f} "
        f"{rows if ctx.service_db else '-':>5} {cel:6d} {seen.misroutes:3d}  "
        f"{roster.load_average()} / {queues}",
        flush=True,
    )
    if profile is not None and profile.exists():
        print(report(profile), flush=True)
    return StepRate(rate, achieved, attempted, run.result.failed), list(seen.connect_wait_ms)


def service_figures(
    before: dict[str, float], after: dict[str, float]
) -> tuple[float, float, float]:
    """From two scrapes of the service's /metrics: its event lag p99 (ms), the AMI
    actions it sent and the events Asterisk streamed it in between. All nan when a
    scrape is empty (the service did not answer): a count minus nothing is no figure."""
    if not before or not after:
        return math.nan, math.nan, math.nan
    lag = bucket_delta(histogram_buckets(after, LAG), histogram_buckets(before, LAG))
    streamed = after.get(EVENTS, math.nan) - before.get(EVENTS, math.nan)
    return histogram_quantile(0.99, lag) * 1000, actions_between(before, after), streamed


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def ramp(ctx: Context, setup: str, round_: int, args: Args) -> Ramp:
    done = Ramp(setup, round_)
    for rate in args.steps:
        result, waits = await step(ctx, setup, rate, args)
        done.steps.append(result)
        done.waits[rate] = waits
        if not result.healthy and result.achieved < 0.8 * rate:
            break  # well past the knee: the next step would only pile up
    return done


@contextlib.asynccontextmanager
async def setup_alone(ctx: Context, args: Args, cel: bool) -> AsyncIterator[None]:
    secrets = ctx.box.ensure_secrets()
    s = ctx.settings
    ami = service_ami(s, secrets)
    await ami.start()
    try:
        with contextlib.ExitStack() as stack:
            if not cel:
                stack.enter_context(cel_off(ctx.box))
            stack.enter_context(queue_wrapuptime(ctx.box, s.queue, args.wrap_s))
            async with roster.alone_members(ami, s.queue, args.agents):
                yield
    finally:
        await ami.close()


@contextlib.asynccontextmanager
async def setup_full(ctx: Context, args: Args, filtered: bool = True) -> AsyncIterator[None]:
    secrets = ctx.box.ensure_secrets()
    log = Path(tempfile.mkdtemp(prefix="hotline-capacity-")) / "serve.log"
    unfiltered: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
    if not filtered:
        unfiltered = service_unfiltered(ctx.box, ctx.settings.ami_username)
    with unfiltered:
        async with _serving(ctx, args, secrets, log):
            yield


@contextlib.asynccontextmanager
async def _serving(
    ctx: Context, args: Args, secrets: dict[str, Any], log: Path
) -> AsyncIterator[None]:
    async with roster.bench_database(ctx.url, args.agents) as url:
        await roster.add_queue_rows(url, ctx.settings.queue, args.agents)
        env = {
            "HOTLINE_AMI_SECRET": secrets["ami_service"],
            "HOTLINE_WRAP_UP_S": str(args.wrap_s),
            "HOTLINE_WORKING_HOURS": ALWAYS,
            "HOTLINE_CALLBACK_DISPATCH": "false",
            "HOTLINE_BLF_LAMPS": "true" if args.lamps else "false",
        }
        async with serve(ctx.settings, url, log, HTTP_PORT, env) as proc:
            print(f"  hotline serve pid {proc.pid}, info log in {log}", flush=True)
            api = f"http://127.0.0.1:{HTTP_PORT}/api"
            began = time.monotonic()
            tokens = await roster.sign_in(api, args.agents, idle=args.agents)
            print(
                f"  {args.agents} agents signed in and idle in {time.monotonic() - began:.0f} s",
                flush=True,
            )
            ctx.service_pid, ctx.service_db = proc.pid, url
            try:
                yield
            finally:
                ctx.service_pid, ctx.service_db = None, ""
                began = time.monotonic()
                await roster.sign_out(api, tokens)
                print(
                    f"  {len(tokens)} agents signed out in {time.monotonic() - began:.0f} s;"
                    " stopping the service",
                    flush=True,
                )


async def run(args: Args) -> None:
    settings = load_settings(os.environ)
    settings = dataclasses.replace(settings, working_hours=ALWAYS)
    sipp_cmd = ["taskset", "-c", str(args.sipp_core)] if args.sipp_core is not None else []
    ramps: list[Ramp] = []
    # kill -USR2: where the bench's tasks wait (a run that stops moving)
    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR2, waits.log_pending)
    async with bench_sandbox(settings, args.agents) as box:
        secrets = box.ensure_secrets()
        sipp = Sipp(box.root, settings.sip_host, settings.sip_port)
        callers = Callers(sipp, settings.entry_number, settings.trunk_port)
        callers.taskset = sipp_cmd
        url = box.database_url(secrets)
        async with (
            answering(box, sipp, args.answer, args.talk_s),
            Observer(settings, secrets["ami_observer"]) as observer,
            Sampler(box.asterisk.cli) as processors,
        ):
            ctx = Context(settings, box, callers, observer, url, processors)
            pins: contextlib.AbstractContextManager[set[int]] = contextlib.nullcontext(set())
            if args.asterisk_cores:
                pins = pinning.asterisk_apart(
                    box.asterisk.pid() or 0,
                    set(args.asterisk_cores),
                    lambda: [*roster.postgres_pids(), box.cel_loader.pid()],
                )
            with pins as rest:
                if rest:
                    print(
                        f"Asterisk alone on core {_cores(args.asterisk_cores)}; the bench, "
                        f"the service, SIPp, PostgreSQL and the CEL loader on {_cores(rest)}"
                    )
                ramps += await rounds(ctx, args)
    summarize(ramps)
    if args.waits_csv is not None:
        write_waits(ramps, args.waits_csv)
        print(f"every q→a wait in {args.waits_csv}")


def _cores(cores: Iterable[int]) -> str:
    return ",".join(map(str, sorted(cores)))


async def rounds(ctx: Context, args: Args) -> list[Ramp]:
    """The set-ups' ramps, ``args.rounds`` times interleaved."""
    ramps: list[Ramp] = []
    print(f"load average before: {roster.load_average()} ({os.cpu_count()} cores)")
    print(header(), flush=True)
    for round_ in range(1, args.rounds + 1):
        for setup in args.setups:
            if args.rounds > 1:
                print(f"-- {setup}, round {round_} of {args.rounds}", flush=True)
            cm = (
                setup_full(ctx, args, filtered=setup == "full")
                if setup in ("full", UNFILTERED)
                else setup_alone(ctx, args, cel=setup == "cel")
            )
            async with cm:
                ramps.append(await ramp(ctx, setup, round_, args))
    return ramps


def summarize(ramps: list[Ramp]) -> None:
    """The knee of each ramp and the ratios, then the q→a waits (``summarize_waits``)."""
    print("\nknee (calls/s achieved at the last healthy step):")
    knees: dict[str, list[float]] = {}
    for r in ramps:
        k = knee(r.steps)
        knees.setdefault(r.setup, []).append(k.calls_per_s)
        print(f"  {r.setup:{WIDTH}} round {r.round}: {k.label()}")
    base = knees.get("alone")
    if base:
        for setup in ("cel", "full"):
            if setup in knees:
                mine = sorted(knees[setup])[len(knees[setup]) // 2]
                theirs = sorted(base)[len(base) // 2]
                print(f"  {setup}/alone = {ratio(mine, theirs):.2f} (median knees)")
    summarize_waits(ramps)


# (set-up, against): the set-up's cost over alone's, and with CEL on in both, the
# service's own share — what the design says adds nothing to the call path; and the
# service's AMI user unfiltered against filtered
COMPARED = (("cel", "alone"), ("full", "alone"), ("full", "cel"), (UNFILTERED, "full"))


def summarize_waits(ramps: list[Ramp]) -> None:
    """The q→a p99 of each set-up pooled over its rounds against a set-up without it
    (``COMPARED``), with a 90 % bootstrap interval (rounds and calls resampled:
    ``rounds_ratio_interval``) and each round's own ratio; and alone against itself,
    round 2 over round 1, 4 over 3… by the same method (the A/A: what the same set-up
    differs by itself, so what the intervals above may be trusted with)."""
    by_round = {(r.setup, r.round): r.waits for r in ramps}
    print("\nq→a p99 over all rounds (ratio [90 % interval, rounds resampled]; round by round):")
    for setup, base in COMPARED:
        rates = sorted({rate for r in ramps if r.setup == setup for rate in r.waits})
        for rate in rates:
            pairs = [
                (by_round[(base, n)][rate], mine[rate])
                for (name, n), mine in sorted(by_round.items())
                if name == setup and rate in mine and rate in by_round.get((base, n), {})
            ]
            _print_ratio(f"{setup}/{base}", rate, pairs)
    alone = {r.round: r for r in ramps if r.setup == "alone"}
    halves = [(alone[n], alone[n + 1]) for n in sorted(alone) if n % 2 and n + 1 in alone]
    if halves:
        print("alone against itself, each even round over the odd one before (the A/A):")
        for rate in sorted({rate for r in alone.values() for rate in r.waits}):
            pairs = [
                (odd.waits[rate], even.waits[rate])
                for odd, even in halves
                if rate in odd.waits and rate in even.waits
            ]
            _print_ratio("alone/alone", rate, pairs)


def _print_ratio(label: str, rate: float, pairs: list[tuple[list[float], list[float]]]) -> None:
    """One line: the pooled p99s of ``(base, other)`` paired rounds, their ratio with
    its interval, and each pair's own ratio."""
    if not pairs:
        return
    found = rounds_ratio_interval(pairs, 99)
    every_base = [v for b, _ in pairs for v in b]
    every_other = [v for _, o in pairs for v in o]
    each = ", ".join(f"{ratio(percentile(o, 99), percentile(b, 99)):.2f}" for b, o in pairs)
    print(
        f"  {label:11} {rate:5g}/s: {percentile(every_other, 99):7.1f} ms against "
        f"{percentile(every_base, 99):7.1f} ({len(every_other)} and {len(every_base)} calls, "
        f"{len(pairs)} round{'s' * (len(pairs) > 1)}): {found.label()}; round by round {each}"
    )


def write_waits(ramps: list[Ramp], path: Path) -> None:
    """Every q→a wait the run saw, a line each (set-up, round, calls/s, ms): the
    figures above can be computed again, or otherwise, without running again."""
    with path.open("w", newline="") as out:
        lines = csv.writer(out)
        lines.writerow(("setup", "round", "rate", "q_to_a_ms"))
        for r in ramps:
            for rate, seen in sorted(r.waits.items()):
                lines.writerows((r.setup, r.round, rate, ms) for ms in seen)


def read_waits(paths: list[Path]) -> list[Ramp]:
    """The waits ``write_waits`` kept, of one run or several: each file's rounds are
    numbered on after the last one's, from an odd number, so that rounds paired for the
    ratios (full with alone's round, alone's 2 with its 1) are always of one run."""
    ramps: dict[tuple[str, int], Ramp] = {}
    offset = 0
    for path in paths:
        last = 0
        with path.open(newline="") as lines:
            try:
                for row in csv.DictReader(lines):
                    n = int(row["round"])
                    last = max(last, n)
                    key = (row["setup"], offset + n)
                    ramp = ramps.setdefault(key, Ramp(*key))
                    wait = float(row["q_to_a_ms"])
                    ramp.waits.setdefault(float(row["rate"]), []).append(wait)
            except (KeyError, TypeError, ValueError) as e:
                raise ValueError(f"{path}: not a file --waits-csv wrote ({e!r})") from e
        if not last:
            # a run stopped before its first call was answered: said, not an empty summary
            raise ValueError(f"{path}: no waits in it")
        offset += last + last % 2
    return list(ramps.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--steps", default="", help="calls/s of each step, comma-separated")
    parser.add_argument("--max-rate", type=float, default=160.0, help="without --steps")
    parser.add_argument("--step-s", type=float, default=10.0)
    parser.add_argument("--talk-s", type=float, default=11.0, help="phone answer -> BYE")
    parser.add_argument("--wrap-s", type=int, default=2, help="wrap-up (service or wrapuptime)")
    parser.add_argument("--agents", type=int, default=2000, help="bench phones and members")
    parser.add_argument(
        "--setups",
        default=",".join(SETUPS),
        help=f"of {', '.join((*SETUPS, UNFILTERED))}: {UNFILTERED} is full with the "
        "service's AMI user unfiltered, as before ami.events.STREAMED",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run the set-ups this many times, interleaved (alone, full, alone, full…): "
        "q→a p99 pooled over the rounds with an interval, and alone against itself",
    )
    parser.add_argument("--sipp-core", type=int, default=None, help="taskset SIPp callers")
    parser.add_argument(
        "--asterisk-core",
        default="",
        metavar="CORES",
        help="comma-separated: Asterisk alone on these cores, everything else (the bench, "
        "the service, SIPp, PostgreSQL, the CEL loader) on the others, as on a node that "
        "gives Asterisk cores of its own",
    )
    parser.add_argument("--answer", choices=ANSWERERS, default="dialplan", help="who answers")
    parser.add_argument(
        "--lamps", choices=("on", "off"), default="on", help="the full set-up's BLF lamps"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="a folder: py-spy samples the service in each full step (py-spy record's raw "
        "stacks, one file a step) and the step's busiest functions are printed",
    )
    parser.add_argument(
        "--waits-csv",
        type=Path,
        default=None,
        help="write every q→a wait (set-up, round, calls/s, ms) to this CSV file",
    )
    parser.add_argument(
        "--from-waits",
        type=Path,
        nargs="+",
        default=None,
        metavar="CSV",
        help="run nothing: print the q→a figures again from the --waits-csv files of "
        "earlier runs (several pooled, their rounds kept apart)",
    )
    a = parser.parse_args()
    if a.from_waits:
        try:
            ramps = read_waits(a.from_waits)
        except (OSError, ValueError) as e:
            parser.error(f"--from-waits: {e}")
        summarize_waits(ramps)
        return
    setups = tuple(x for x in a.setups.split(",") if x)
    unknown = set(setups) - {*SETUPS, UNFILTERED}
    if unknown or not setups:
        parser.error(f"--setups: {','.join(sorted(unknown)) or 'none'}: not a set-up")
    if a.waits_csv is not None and not a.waits_csv.parent.is_dir():
        # said now, not after the run: its waits would be lost at the end
        parser.error(f"--waits-csv: no folder {a.waits_csv.parent}")
    if a.profile is not None:
        a.profile.mkdir(parents=True, exist_ok=True)
    try:
        asterisk_cores = frozenset(int(c) for c in a.asterisk_core.split(",") if c.strip())
        if asterisk_cores:
            pinning.split(os.sched_getaffinity(0), set(asterisk_cores))
    except ValueError as e:
        parser.error(str(e) if "--asterisk-core" in str(e) else f"--asterisk-core: {e}")
    steps = (
        tuple(float(x) for x in a.steps.split(","))
        if a.steps
        else tuple(r for r in (10, 20, 40, 60, 80, 100, 120, 140, 160, 200) if r <= a.max_rate)
    )
    configure_logging("console", "warning")
    # SIGTERM as Ctrl-C: the run is cancelled and its clean-up runs (members, config)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    asyncio.run(
        run(
            Args(
                steps,
                a.step_s,
                a.talk_s,
                a.wrap_s,
                a.agents,
                setups,
                a.sipp_core,
                a.answer,
                a.lamps == "on",
                a.profile,
                max(1, a.rounds),
                a.waits_csv,
                asterisk_cores,
            )
        )
    )


if __name__ == "__main__":
    main()
