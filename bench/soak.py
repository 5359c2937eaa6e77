"""Benchmark: an hour with nothing growing (issue 13) — the CI never runs it.

``hotline serve`` as users run it with ``--agents`` agents signed in over HTTP (their
members in the queue), ``--answering`` of them idle and the rest busy; SIPp callers
from the trunk at a steady ``--rate`` calls/s through the real greeting and queue to
the bench phones (bench/callpath.py: ``--answer dialplan``, the default, answers them
in a bench-only context, ``sipp`` on one SIPp), which talk ``--talk-s`` (the R8
announcement of the job number is part of it) and hang up; the service's wrap-up is
``--wrap-s``.
Every ``--sample-s`` (a minute) it samples the service's RSS, open descriptors, asyncio
tasks (``hotline_asyncio_tasks`` in /metrics), database pool connections
(``hotline_db_pool_connections``), and its AMI event lag p99 over the minute (the
``hotline_ami_event_lag`` histogram), the share of the minute its event loop's thread ran
and waited for a core (``hotline_loop_cpu_*``: a full box or a busy service), and the CEL
loader's RSS and spool files, prints
a row and appends it to ``--csv``; at the end, the growth of RSS, descriptors, tasks,
the loader's RSS and its spool's files after the first 10 samples.

With ``--heap`` the service is sent SIGUSR1 at the 10th sample and every one after:
each logs a heap report (hotline/heap.py) in its JSON log — gc object types, and RSS
before and after ``malloc_trim`` —, and at the end the last report's growth since the
one at the 10th sample is printed (a report pauses the service ~0.1 s). ``--heap-frames
N`` also runs it with ``PYTHONTRACEMALLOC=N`` for allocation sites: heavy — at 6
calls/s with 2,000 agents a report then blocked the loop 7–16 s and the soak broke
down (lag 5 s, calls unanswered); use it on a short, light run.

    sudo flock /tmp/hotline-e2e.lock .venv/bin/python bench/soak.py \\
        [--minutes 60] [--rate 20] [--agents 2000] [--answering 200] [--csv soak.csv] \\
        [--heap [--heap-frames N]]

Needs the sandbox and nobody else on it (take the e2e lock); leaves Asterisk's config
as it found it and no bench member in a queue, also when stopped early (Ctrl-C or
SIGTERM: the samples so far are reported). Note: 200 answering agents take 20 calls/s
only if a call (talk + wrap-up) lasts under 10 s; with the ~9 s announcement of a
six-digit job number, ``--talk-s`` 10 and ``--wrap-s`` 3 need ~260 agents: the default
answering pool is 300.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import dataclasses
import os
import signal
import sys
import tempfile
import time
from math import nan
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asterisk_conf.sandbox.sandbox import Sandbox
from asterisk_conf.sandbox.sipp import Sipp
from bench import roster
from bench.callpath import (
    ANSWERERS,
    CallerRun,
    Callers,
    Observer,
    answering,
    bench_sandbox,
    set_answering,
)
from bench.figures import (
    bucket_delta,
    growth,
    heap_baseline,
    heap_lines,
    heap_reports,
    histogram_buckets,
    histogram_quantile,
)
from bench.serving import Usage, serve
from core.logging import configure_logging
from core.settings import load_settings
from dialplan.default_plan import ALWAYS

HTTP_PORT = 18092
LAG = "hotline_ami_event_lag"
LOOP_CPU, LOOP_WAIT = "hotline_loop_cpu_seconds_total", "hotline_loop_cpu_wait_seconds_total"
COLUMNS = (
    "minute",
    "queued",
    "answered",
    "rss_mb",
    "fds",
    "tasks",
    "pool_busy",
    "pool_idle",
    "lag_p99_ms",
    "loop_cpu%",
    "loop_wait%",
    "calls_rows",
    "loader_mb",
    "spool_files",
    "load",
)
WARM_UP_SAMPLES = 10
HEAP_WAIT_S = 120.0  # for the last heap report to be logged


Row = dict[str, float | str]


async def sample_loop(
    args: argparse.Namespace,
    pid: int,
    url: str,
    observer: Observer,
    rows: list[Row],
    *,
    box: Sandbox,
) -> int:
    """A row per ``--sample-s`` into ``rows`` (and the CSV) until the minutes are up;
    with ``--heap``, a heap report asked for from the baseline sample on (how many).
    Beside the service's figures, the CEL loader's (``hotline cel-load``, the sandbox's):
    its RSS and the files in its spool (a minute of moved-aside files is kept)."""
    usage = Usage(pid)
    loader = box.cel_loader.pid()
    loader_usage = Usage(loader) if loader else None
    samples = int(args.minutes * 60 / args.sample_s)
    baseline = heap_baseline(samples, WARM_UP_SAMPLES)
    asked = 0
    out: Path = args.csv
    before = await roster.scrape(HTTP_PORT)
    print(" ".join(f"{c:>10}" for c in COLUMNS), flush=True)
    with out.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for minute in range(1, samples + 1):
            await asyncio.sleep(args.sample_s)
            seen = observer.take()
            now = await roster.scrape(HTTP_PORT)
            lag = bucket_delta(histogram_buckets(now, LAG), histogram_buckets(before, LAG))
            loop_share = {  # % of the minute the loop's thread ran / waited for a core
                name: round(100 * (now.get(name, nan) - before.get(name, nan)) / args.sample_s, 1)
                for name in (LOOP_CPU, LOOP_WAIT)
            }
            before = now
            row: Row = {
                "minute": minute * args.sample_s / 60,
                "queued": seen.joined,
                "answered": len(seen.connect_wait_ms),
                "rss_mb": round(usage.rss_mb(), 1),
                "fds": roster.open_fds(pid),
                "tasks": now.get("hotline_asyncio_tasks", float("nan")),
                "pool_busy": now.get('hotline_db_pool_connections{state="busy"}', float("nan")),
                "pool_idle": now.get('hotline_db_pool_connections{state="idle"}', float("nan")),
                "lag_p99_ms": round(histogram_quantile(0.99, lag) * 1000, 1),
                "loop_cpu%": loop_share[LOOP_CPU],
                "loop_wait%": loop_share[LOOP_WAIT],
                "calls_rows": await roster.count(url, "SELECT count(*) FROM calls"),
                "loader_mb": round(loader_usage.rss_mb(), 1) if loader_usage else float("nan"),
                "spool_files": len(list(box.cel_spool.glob("*.csv"))),
                "load": roster.load_average(),
            }
            rows.append(row)
            writer.writerow(row)
            fh.flush()
            print(" ".join(f"{row[c]!s:>10}" for c in COLUMNS), flush=True)
            if args.heap and minute >= baseline:
                os.kill(pid, signal.SIGUSR1)  # after the row: the report blocks its loop
                asked += 1
    return asked


async def heap_logged(log: Path, asked: int) -> None:
    """Until the service has logged the heap reports asked for (or ``HEAP_WAIT_S``)."""
    deadline = time.monotonic() + HEAP_WAIT_S
    while time.monotonic() < deadline:
        with log.open(errors="replace") as fh:
            if len(heap_reports(fh)) >= asked:
                return
        await asyncio.sleep(1)
    print(f"the service logged fewer than {asked} heap reports; see {log}", flush=True)


async def run(args: argparse.Namespace, rows: list[Row], log: Path) -> None:
    settings = dataclasses.replace(load_settings(os.environ), working_hours=ALWAYS)
    calls = max(1, round(args.rate * args.minutes * 60))
    async with bench_sandbox(settings, args.agents) as box:
        secrets = box.ensure_secrets()
        sipp = Sipp(box.root, settings.sip_host, settings.sip_port)
        callers = Callers(sipp, settings.entry_number, settings.trunk_port)
        async with (
            roster.bench_database(box.database_url(secrets), args.agents) as url,
            answering(box, sipp, args.answer, args.talk_s),
            Observer(settings, secrets["ami_observer"]) as observer,
        ):
            await roster.add_queue_rows(url, settings.queue, args.agents)
            env = {
                "HOTLINE_AMI_SECRET": secrets["ami_service"],
                "HOTLINE_WRAP_UP_S": str(args.wrap_s),
                "HOTLINE_WORKING_HOURS": ALWAYS,
                "HOTLINE_CALLBACK_DISPATCH": "false",
            }
            if args.heap and args.heap_frames:
                env["PYTHONTRACEMALLOC"] = str(args.heap_frames)  # Python's own: frames kept
            async with serve(settings, url, log, HTTP_PORT, env) as proc:
                api = f"http://127.0.0.1:{HTTP_PORT}/api"
                print(f"hotline serve pid {proc.pid}, info log in {log}", flush=True)
                set_answering(box, args.answer, args.talk_s)  # after its start's reload
                began = time.monotonic()
                tokens = await roster.sign_in(api, args.agents, idle=args.answering)
                print(
                    f"{args.agents} agents signed in ({args.answering} idle) in "
                    f"{time.monotonic() - began:.0f} s; {args.rate:g} calls/s for "
                    f"{args.minutes:g} min; load {roster.load_average()}",
                    flush=True,
                )
                observer.take()
                calling = asyncio.create_task(
                    callers.run(args.rate, calls, timeout_s=args.minutes * 60 + 120)
                )
                calling.add_done_callback(said_when_sipp_ends)
                try:
                    asked = await sample_loop(args, proc.pid, url, observer, rows, box=box)
                    if asked:
                        await heap_logged(log, asked)
                    await calling  # said_when_sipp_ends reports it
                finally:
                    calling.cancel()  # stopped early: SIPp stops calling (Sipp.run kills it)
                    with contextlib.suppress(BaseException):
                        await calling
                    # members left behind are removed by bench_sandbox (clear_members)
                    with contextlib.suppress(Exception):
                        async with asyncio.timeout(120):
                            await roster.sign_out(api, tokens)


def said_when_sipp_ends(calling: asyncio.Task[CallerRun]) -> None:
    """SIPp's end, said when it comes: before the soak's time it means no more calls,
    and the samples after it measure an idle service."""
    if calling.cancelled():
        return
    error = calling.exception()
    if error is not None:
        print(f"SIPp ended: {error!r}", flush=True)
        return
    result = calling.result().result
    print(
        f"SIPp ended (exit {result.returncode}): {result.successful} calls ended well, "
        f"{result.failed} failed; its last words:\n{result.output[-1200:]}",
        flush=True,
    )


async def main_task(args: argparse.Namespace) -> None:
    """The soak, stopped early by SIGTERM as by Ctrl-C: the clean-up runs either way,
    then the samples so far are reported."""
    rows: list[Row] = []
    log = Path(tempfile.mkdtemp(prefix="hotline-soak-")) / "serve.log"
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        await run(args, rows, log)
    except asyncio.CancelledError:
        print("stopped early", flush=True)
    if rows:
        report(rows, args.csv)
    if args.heap and log.exists():
        with log.open(errors="replace") as fh:
            reports = heap_reports(fh)
        print(f"\n{len(reports)} heap reports in {log}")
        if reports:
            print("\n".join(heap_lines(reports[-1])))


def report(rows: list[Row], out: Path) -> None:
    warm = min(WARM_UP_SAMPLES, max(0, len(rows) - 2))
    print(f"\nwritten to {out}; growth from sample {warm + 1} to the last:")
    for column in ("rss_mb", "fds", "tasks", "loader_mb", "spool_files"):
        values = [float(r[column]) for r in rows]
        print(f"  {column:7} {100 * growth(values, warm):+.1f} %  (max {max(values):g})")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=20.0, help="calls/s")
    parser.add_argument("--agents", type=int, default=2000, help="signed in")
    parser.add_argument("--answering", type=int, default=300, help="of them idle")
    parser.add_argument("--talk-s", type=float, default=10.0, help="phone answer -> BYE")
    parser.add_argument("--wrap-s", type=int, default=3, help="the service's wrap-up")
    parser.add_argument("--sample-s", type=float, default=60.0)
    parser.add_argument("--csv", type=Path, default=Path("soak.csv"))
    parser.add_argument("--answer", choices=ANSWERERS, default="dialplan", help="who answers")
    parser.add_argument("--heap", action="store_true", help="heap reports from the 10th sample")
    parser.add_argument(
        "--heap-frames",
        type=int,
        default=0,
        metavar="FRAMES",
        help="with --heap: also trace allocations (PYTHONTRACEMALLOC=FRAMES): heavy",
    )
    args = parser.parse_args()
    configure_logging("console", "warning")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main_task(args))


if __name__ == "__main__":
    main()
