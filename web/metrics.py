"""Prometheus metrics (text format via prometheus_client), one registry per app."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ami import AmiClient
from calls.model import CallRecord, Outcome
from calls.service import QueueWaiting
from db.durable import DurableWrites


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
        lag = GaugeMetricFamily(
            "hotline_ami_event_lag_seconds",
            "our clock minus Asterisk's Timestamp of the last event, when it arrived",
        )
        if self.ami.last_event_lag_s is not None:
            lag.add_metric([], self.ami.last_event_lag_s)
        yield lag
        waiting = GaugeMetricFamily(
            "hotline_queue_waiting_callers", "callers waiting in the queue", labels=["queue"]
        )
        for queue, count in sorted(self.queues.waiting.items()):
            waiting.add_metric([queue], count)
        yield waiting


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


class Metrics:
    def __init__(
        self,
        ami: AmiClient,
        queues: QueueWaiting,
        *,
        writes: Callable[[], DurableWrites | None] | None = None,
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
        if writes is not None:
            self.registry.register(_Journal(writes))

    def call_recorded(self, record: CallRecord) -> None:
        self.calls.labels(record.outcome.value).inc()

    def sse_client_dropped(self) -> None:
        self.sse_dropped.inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)
