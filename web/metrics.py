"""Prometheus metrics (text format via prometheus_client), one registry per app."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from prometheus_client import CollectorRegistry, Counter, ProcessCollector, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from ami import AmiClient
from ami.client import EVENT_LAG_BOUNDS_S
from callback import figures as callback_figures
from callback.attempts import DispatchFigures
from callback.model import AttemptResult
from calls.model import CallRecord, Outcome
from calls.service import QueueWaiting
from core.logging import get_logger
from db.durable import DurableWrites

log = get_logger("metrics")

REFRESH_TIMEOUT_S = 1.0  # a scrape answers even while PostgreSQL does not
# the calling thread's scheduler figures: ns on a core, ns runnable but waiting for one,
# timeslices (Linux; a scrape runs on the event loop's thread)
SCHEDSTAT = Path("/proc/thread-self/schedstat")


class _Live(Collector):
    """Values read at scrape time from the adapter and the queue watch."""

    def __init__(self, ami: AmiClient, queues: QueueWaiting) -> None:
        self.ami = ami
        self.queues = queues

    def collect(self) -> Iterator[Metric]:
        yield CounterMetricFamily(
            "hotline_ami_reconnects", "AMI reconnects since start", value=self.ami.reconnects
        )
        yield GaugeMetricFamily(
            "hotline_ami_connected", "1 when AMI is logged in", value=1 if self.ami.is_ready else 0
        )
        yield CounterMetricFamily(
            "hotline_ami_events", "AMI events received", value=self.ami.events_received
        )
        sent = CounterMetricFamily(
            "hotline_ami_actions",
            "AMI actions sent, by action (keepalive Pings included)",
            labels=["action"],
        )
        for name, count in sorted(self.ami.actions_sent.items()):
            sent.add_metric([name], count)
        yield sent
        lag = GaugeMetricFamily(
            "hotline_ami_event_lag_seconds",
            "our clock minus Asterisk's Timestamp of the last event, when it arrived",
        )
        if self.ami.last_event_lag_s is not None:
            lag.add_metric([], self.ami.last_event_lag_s)
        yield lag
        yield _lag_histogram(self.ami)
        # headroom and leaks (bench/soak.py): the event loop's tasks right now
        yield GaugeMetricFamily(
            "hotline_asyncio_tasks", "asyncio tasks alive", value=len(asyncio.all_tasks())
        )
        waiting = GaugeMetricFamily(
            "hotline_queue_waiting_callers", "callers waiting in the queue", labels=["queue"]
        )
        for queue, count in sorted(self.queues.waiting.items()):
            waiting.add_metric([queue], count)
        yield waiting


def on_cpu_and_waiting_s(schedstat: str) -> tuple[float, float]:
    """A ``schedstat`` line's first two figures, in seconds: time the thread ran, and
    time it was runnable but waited for a core."""
    ran_ns, waited_ns, *_ = schedstat.split()
    return int(ran_ns) / 1e9, int(waited_ns) / 1e9


class _Loop(Collector):
    """The event loop's thread: the CPU it used, and how long it was ready to run but
    waited for a core. With the event lag rising, a wait growing nearly as fast as the
    clock says the box is full (give it cores); a wait that stays flat says the service
    itself is busy (profile it) — README "Headroom in /metrics"."""

    def collect(self) -> Iterator[Metric]:
        try:
            ran_s, waited_s = on_cpu_and_waiting_s(SCHEDSTAT.read_text())
        except (OSError, ValueError):
            return  # not Linux, or a kernel without scheduler statistics
        yield CounterMetricFamily(
            "hotline_loop_cpu_seconds", "CPU time of the event loop's thread", value=ran_s
        )
        yield CounterMetricFamily(
            "hotline_loop_cpu_wait_seconds",
            "time the event loop's thread was ready to run but waited for a core",
            value=waited_s,
        )


def _lag_histogram(ami: AmiClient) -> Metric:
    """Every event's lag (our clock minus Asterisk's Timestamp), as a histogram."""
    buckets, total = [], 0
    for bound, count in zip((*EVENT_LAG_BOUNDS_S, float("inf")), ami.event_lag_counts, strict=True):
        total += count
        buckets.append(("+Inf" if bound == float("inf") else repr(bound), total))
    return HistogramMetricFamily(
        "hotline_ami_event_lag",
        "AMI events by lag: our clock minus Asterisk's Timestamp, seconds",
        buckets=buckets,
        sum_value=ami.event_lag_sum_s,
    )


class _Pool(Collector):
    """The database pool's connections (in use and idle), read at scrape time."""

    def __init__(self) -> None:
        self.pool: Any = None

    def collect(self) -> Iterator[Metric]:
        conns = GaugeMetricFamily(
            "hotline_db_pool_connections", "database pool connections", labels=["state"]
        )
        size = getattr(self.pool, "get_size", None)
        idle = getattr(self.pool, "get_idle_size", None)
        if size is not None and idle is not None:
            conns.add_metric(["idle"], idle())
            conns.add_metric(["busy"], size() - idle())
        yield conns


class _Journal(Collector):
    """The journal of writes waiting for PostgreSQL (db/durable.py), at scrape time."""

    def __init__(self, writes: Callable[[], DurableWrites | None]) -> None:
        self.writes = writes

    def collect(self) -> Iterator[Metric]:
        writes = self.writes()
        yield GaugeMetricFamily(
            "hotline_journal_depth",
            "writes waiting in the journal for PostgreSQL",
            value=writes.depth if writes else 0,
        )
        age = GaugeMetricFamily(
            "hotline_journal_oldest_age_seconds", "how long the oldest journalled write waits"
        )
        oldest = writes.oldest_age_s() if writes else None
        age.add_metric([], oldest if oldest is not None else 0.0)
        yield age
        yield CounterMetricFamily(
            "hotline_journal_replayed",
            "journalled writes replayed into PostgreSQL since start",
            value=writes.replayed if writes else 0,
        )


class _Callbacks(Collector):
    """Callbacks: the store's counts (refreshed by ``Metrics.refresh`` before a scrape
    renders) and the dispatcher's figures."""

    def __init__(self, figures: Callable[[], DispatchFigures | None]) -> None:
        self.figures = figures
        self.counts: dict[str, Any] | None = None

    def collect(self) -> Iterator[Metric]:
        live = GaugeMetricFamily(
            "hotline_callbacks_live", "callbacks not yet closed", labels=["kind", "state"]
        )
        overdue = GaugeMetricFamily(
            "hotline_callbacks_overdue", "live callbacks past their due time", labels=["kind"]
        )
        waiting = GaugeMetricFamily(
            "hotline_callback_dispatch_lag_seconds",
            "how long the longest-waiting dispatchable callback has been due",
        )
        if self.counts is not None:
            for kind, states in sorted(self.counts["live"].items()):
                for state, n in sorted(states.items()):
                    live.add_metric([kind, state], n)
            for kind, n in sorted(self.counts["overdue"].items()):
                overdue.add_metric([kind], n)
            waiting.add_metric([], self.counts["dispatch_lag_s"])
        yield from (live, overdue, waiting)
        figures = self.figures()
        results = CounterMetricFamily(
            "hotline_callback_attempts", "callback attempts ended, by result", labels=["result"]
        )
        for result in AttemptResult:
            results.add_metric([result.value], figures.results[result.value] if figures else 0)
        yield results
        yield CounterMetricFamily(
            "hotline_callback_claims",
            "callbacks claimed for dispatch",
            value=figures.claims if figures else 0,
        )
        yield CounterMetricFamily(
            "hotline_callback_claim_lag_seconds",
            "the sum over claims of how late after its time each was claimed",
            value=figures.lag_s_total if figures else 0.0,
        )


class Metrics:
    def __init__(
        self,
        ami: AmiClient,
        queues: QueueWaiting,
        *,
        writes: Callable[[], DurableWrites | None] | None = None,
        dispatch: Callable[[], DispatchFigures | None] = lambda: None,
    ) -> None:
        self.registry = CollectorRegistry()
        self.calls = Counter(
            "hotline_calls", "calls recorded, by outcome", ["outcome"], registry=self.registry
        )
        for outcome in Outcome:
            self.calls.labels(outcome.value)
        self.sse_dropped = Counter(
            "hotline_sse_clients_dropped",
            "live-stream clients cut off because they read changes too slowly",
            registry=self.registry,
        )
        self.registry.register(_Live(ami, queues))
        self.registry.register(_Loop())
        # process_resident_memory_bytes, process_open_fds, process_cpu_seconds_total …
        ProcessCollector(registry=self.registry)
        self.pool = _Pool()
        self.registry.register(self.pool)
        if writes is not None:
            self.registry.register(_Journal(writes))
        self.callbacks = _Callbacks(dispatch)
        self.registry.register(self.callbacks)

    async def refresh(self, pool: Any) -> None:
        """What is read from PostgreSQL for a scrape (the callbacks' counts); while it is
        away the last counts stand."""
        self.pool.pool = pool
        try:
            async with asyncio.timeout(REFRESH_TIMEOUT_S):
                self.callbacks.counts = await callback_figures.open_counts(pool, datetime.now(UTC))
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            log.warning("callback counts not refreshed for /metrics")

    def call_recorded(self, record: CallRecord) -> None:
        self.calls.labels(record.outcome.value).inc()

    def sse_client_dropped(self) -> None:
        self.sse_dropped.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
