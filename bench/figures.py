"""What the capacity and soak benchmarks compute from what they saw: pure, tested in
tests/pure/test_bench_figures.py.

- ``percentile``: nearest rank, as every bench here prints them;
- ``ratio_interval``: one percentile of two samples as a ratio, with a bootstrap
  interval (is a ratio of p99s 1.05 or noise?); ``rounds_ratio_interval`` the same over
  paired rounds, the rounds resampled too (a box drifts between rounds);
- ``knee``: the last healthy step of a ramp (calls/s offered, achieved, failed);
- ``histogram_quantile``: a quantile from a Prometheus histogram's bucket counts (the
  service's AMI event lag in /metrics), as PromQL's ``histogram_quantile`` does;
- ``parse_metrics``: the samples of a /metrics text; ``by_label`` one counter's by
  label; ``actions_between`` the AMI actions the service sent between two scrapes;
- ``growth``: how much a soak figure grew after its warm-up;
- ``heap_reports``, ``heap_lines``, ``heap_baseline``: the service's heap reports
  (hotline/heap.py) in its JSON log, when the soak asks for them (``--heap``).
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# a step is healthy while it delivers this share of the offered rate and fails no more
HEALTHY_ACHIEVED = 0.95
HEALTHY_FAILED = 0.01


def percentile(values: Sequence[float], p: float) -> float:
    """The ``p``-th percentile (0..100) by nearest rank; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True)
class RatioInterval:
    """``percentile(other) / percentile(base)`` and the bootstrap interval around it."""

    ratio: float
    low: float
    high: float

    def label(self) -> str:
        return f"{self.ratio:.2f} [{self.low:.2f}, {self.high:.2f}]"


def ratio_interval(
    base: Sequence[float],
    other: Sequence[float],
    p: float,
    *,
    level: float = 0.9,
    draws: int = 1000,
    seed: int = 12333,
) -> RatioInterval:
    """The ``p``-th percentile of ``other`` over that of ``base``, with the central
    ``level`` share of the same ratio over ``draws`` resamplings (each sample drawn
    again with replacement, the same seed each time): a single run's p99 moves with a
    handful of slow calls, and the interval says how far. NaN without values."""
    return rounds_ratio_interval([(base, other)], p, level=level, draws=draws, seed=seed)


def rounds_ratio_interval(
    rounds: Sequence[tuple[Sequence[float], Sequence[float]]],
    p: float,
    *,
    level: float = 0.9,
    draws: int = 1000,
    seed: int = 12333,
) -> RatioInterval:
    """``ratio_interval`` over paired rounds — ``(base, other)`` of round 1, of round
    2…, each pair run back to back: the ratio of the pooled percentiles, its interval
    from resampling whole rounds (a pair together) and then the calls within each.
    Calls resampled alone take N rounds for one long run of the same box, and a box
    that drifts between rounds then gives an interval too narrow to hold its own A/A;
    drawing rounds widens it by that drift, as it should. NaN without values."""
    rounds = [(b, o) for b, o in rounds if b and o]
    if not rounds:
        return RatioInterval(math.nan, math.nan, math.nan)
    rng = random.Random(seed)

    def pooled(drawn: Sequence[tuple[Sequence[float], Sequence[float]]]) -> float:
        base = [v for b, _ in drawn for v in rng.choices(b, k=len(b))]
        other = [v for _, o in drawn for v in rng.choices(o, k=len(o))]
        return ratio(percentile(other, p), percentile(base, p))

    found = sorted(pooled(rng.choices(rounds, k=len(rounds))) for _ in range(draws))
    tail = (1 - level) / 2
    low = found[int(tail * (draws - 1))]
    high = found[math.ceil((1 - tail) * (draws - 1))]
    every_base = [v for b, _ in rounds for v in b]
    every_other = [v for _, o in rounds for v in o]
    return RatioInterval(ratio(percentile(every_other, p), percentile(every_base, p)), low, high)


@dataclass(frozen=True)
class StepRate:
    """One step of a ramp: offered calls/s, achieved calls/s, calls attempted and failed."""

    offered: float
    achieved: float
    attempted: int
    failed: int

    @property
    def healthy(self) -> bool:
        if self.attempted == 0:
            return False
        return (
            self.achieved >= HEALTHY_ACHIEVED * self.offered
            and self.failed <= HEALTHY_FAILED * self.attempted
        )


@dataclass(frozen=True)
class Knee:
    """The highest achieved calls/s before the first unhealthy step; ``reached`` is
    False when every step was healthy (the knee lies above the ramp's top)."""

    calls_per_s: float
    reached: bool

    def label(self) -> str:
        return f"{self.calls_per_s:.0f}" if self.reached else f">= {self.calls_per_s:.0f}"


def knee(steps: Sequence[StepRate]) -> Knee:
    """Steps in ramp order; the knee is the last healthy step before the first
    unhealthy one (0 when the first is already unhealthy)."""
    best = 0.0
    for step in steps:
        if not step.healthy:
            return Knee(best, True)
        best = max(best, step.achieved)
    return Knee(best, False)


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else math.nan


def parse_metrics(text: str) -> dict[str, float]:
    """``{name{labels}: value}`` for every sample line of a Prometheus text page."""
    samples: dict[str, float] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        try:
            samples[name] = float(value)
        except ValueError:
            continue
    return samples


def by_label(samples: Mapping[str, float], name: str, label: str) -> dict[str, float]:
    """``{label's value: sample}`` of a counter with one label: ``name{label="v"}``."""
    prefix = f'{name}{{{label}="'
    return {
        key[len(prefix) :].split('"', 1)[0]: value
        for key, value in samples.items()
        if key.startswith(prefix)
    }


def actions_between(before: Mapping[str, float], after: Mapping[str, float]) -> float:
    """The AMI actions the service sent between two scrapes of its /metrics, its
    keepalive Pings left out: what it asked of Asterisk (a pause or an unpause is a
    walk of every queue member there)."""
    sent = by_label(after, "hotline_ami_actions_total", "action")
    earlier = by_label(before, "hotline_ami_actions_total", "action")
    return sum(n - earlier.get(name, 0.0) for name, n in sent.items() if name != "Ping")


def histogram_buckets(samples: Mapping[str, float], name: str) -> dict[float, float]:
    """``{upper bound: cumulative count}`` of histogram ``name`` (``_bucket{le=..}``)."""
    buckets: dict[float, float] = {}
    prefix = f"{name}_bucket{{"
    for key, value in samples.items():
        if key.startswith(prefix) and 'le="' in key:
            bound = key.split('le="', 1)[1].split('"', 1)[0]
            buckets[math.inf if bound == "+Inf" else float(bound)] = value
    return buckets


def bucket_delta(after: Mapping[float, float], before: Mapping[float, float]) -> dict[float, float]:
    """The counts that arrived between two scrapes of one histogram."""
    return {bound: count - before.get(bound, 0.0) for bound, count in after.items()}


def histogram_quantile(q: float, buckets: Mapping[float, float]) -> float:
    """Quantile ``q`` (0..1) of cumulative ``buckets``, linear within a bucket; the
    highest finite bound when it falls in +Inf; NaN for no observations."""
    bounds = sorted(buckets)
    if not bounds or buckets[bounds[-1]] <= 0:
        return math.nan
    total = buckets[bounds[-1]]
    rank = q * total
    lower, below = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if math.isinf(bound):
                return lower
            if count == below:
                return bound
            return lower + (bound - lower) * (rank - below) / (count - below)
        lower, below = bound, count
    return lower


def growth(values: Sequence[float], warm_up: int) -> float:
    """How much the last value exceeds the one at ``warm_up`` (a share: 0.05 is 5 %);
    NaN while there are not enough samples."""
    if len(values) <= warm_up or values[warm_up] == 0:
        return math.nan
    return values[-1] / values[warm_up] - 1


HEAP_REPORT = "heap report"  # hotline/heap.py's event


def heap_baseline(samples: int, warm_up: int) -> int:
    """The sample whose heap report is the baseline (the first one asked for): the end
    of the warm-up, or earlier in a short run so that one report follows it."""
    return max(1, min(warm_up, samples - 1))


def heap_reports(lines: Iterable[str]) -> list[dict[str, Any]]:
    """The service's heap reports in its JSON log, in order; other lines skipped."""
    found = []
    for line in lines:
        if HEAP_REPORT not in line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("event") == HEAP_REPORT:
            found.append(entry)
    return found


def heap_lines(report: Mapping[str, Any]) -> list[str]:
    """A report's growth since the first report (the baseline), to print."""
    if "types_since_first" not in report:
        return [f"heap report {report.get('report')}: the first, nothing to compare"]
    trimmed = report.get("rss_mb_trimmed")
    out = [
        f"heap report {report['report']} against the first: RSS {report['rss_mb']} MB "
        f"({report['rss_mb_delta_since_first']:+} MB), {report['objects']:,} gc objects "
        f"({report['objects_delta_since_first']:+,}), the report took {report['took_ms']:,} ms"
        + ("" if trimmed is None else f"; RSS after malloc_trim {trimmed} MB"),
        "  types grown (delta, now):",
    ]
    out += [
        f"  {t['delta']:>+10,} {t['count']:>10,}  {t['type']}" for t in report["types_since_first"]
    ]
    if "sites_since_first" in report:
        out.append(f"  allocation sites grown (KB, blocks; traced now {report['traced_mb']} MB):")
        out += [
            f"  {s['kb_delta']:>+10,.1f} {s['blocks_delta']:>+10,}  {s['site']}"
            for s in report["sites_since_first"]
        ]
    return out
