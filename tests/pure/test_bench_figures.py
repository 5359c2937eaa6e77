"""The capacity and soak benchmarks' arithmetic (bench/figures.py): percentiles, the
knee of a ramp, a quantile from /metrics histogram buckets, growth over a soak."""

from __future__ import annotations

import json
import math

import pytest

from asterisk_conf.sandbox.bench_leftovers import members
from bench.figures import (
    StepRate,
    actions_between,
    bucket_delta,
    growth,
    heap_baseline,
    heap_lines,
    heap_reports,
    histogram_buckets,
    histogram_quantile,
    knee,
    parse_metrics,
    percentile,
    ratio_interval,
    rounds_ratio_interval,
)
from bench.profile import busiest
from bench.taskprocessors import deepest, queued, settle


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([5.0], 50, 5.0),
        ([1.0, 2.0, 3.0, 4.0], 50, 2.0),
        ([1.0, 2.0, 3.0, 4.0], 99, 4.0),
        (list(map(float, range(1, 101))), 99, 99.0),
        ([3.0, 1.0, 2.0], 0, 1.0),
    ],
)
def test_percentile_by_nearest_rank(values: list[float], p: float, expected: float) -> None:
    assert percentile(values, p) == expected


def test_percentile_of_nothing_is_nan() -> None:
    assert math.isnan(percentile([], 50))


def step(offered: float, achieved: float, attempted: int = 100, failed: int = 0) -> StepRate:
    return StepRate(offered, achieved, attempted, failed)


@pytest.mark.parametrize(
    ("steps", "calls_per_s", "reached"),
    [
        # every step delivers: the knee lies above the ramp
        ([step(10, 10), step(20, 19.5)], 19.5, False),
        # the third step falls behind the offered rate
        ([step(10, 10), step(20, 20), step(40, 30)], 20, True),
        # or fails more than 1 % of its calls
        ([step(10, 10), step(20, 20, 100, 2), step(40, 40)], 10, True),
        # a step after the first bad one does not count
        ([step(10, 10), step(20, 12), step(40, 40)], 10, True),
        ([step(10, 5)], 0, True),
        ([step(10, 0, attempted=0)], 0, True),
    ],
)
def test_knee_is_the_last_healthy_step(
    steps: list[StepRate], calls_per_s: float, reached: bool
) -> None:
    found = knee(steps)
    assert (found.calls_per_s, found.reached) == (calls_per_s, reached)


METRICS = """# HELP hotline_ami_event_lag AMI events by lag
# TYPE hotline_ami_event_lag histogram
hotline_ami_event_lag_bucket{le="0.001"} 10.0
hotline_ami_event_lag_bucket{le="0.01"} 90.0
hotline_ami_event_lag_bucket{le="0.1"} 100.0
hotline_ami_event_lag_bucket{le="+Inf"} 100.0
hotline_ami_event_lag_count 100.0
hotline_asyncio_tasks 42.0
"""


def test_metrics_text_parsed_into_samples_and_buckets() -> None:
    samples = parse_metrics(METRICS)
    assert samples["hotline_asyncio_tasks"] == 42
    assert histogram_buckets(samples, "hotline_ami_event_lag") == {
        0.001: 10,
        0.01: 90,
        0.1: 100,
        math.inf: 100,
    }


def test_the_actions_sent_between_two_scrapes_leave_the_keepalive_out() -> None:
    before = parse_metrics(
        'hotline_ami_actions_total{action="Ping"} 40.0\n'
        'hotline_ami_actions_total{action="QueuePause"} 100.0\n'
    )
    after = parse_metrics(
        'hotline_ami_actions_total{action="Ping"} 100.0\n'
        'hotline_ami_actions_total{action="QueuePause"} 1300.0\n'
        'hotline_ami_actions_total{action="QueueStatus"} 2.0\n'  # first sent in between
        "hotline_ami_actions_created 1.7e9\n"
    )
    assert actions_between(before, after) == 1202.0


def test_histogram_quantile_interpolates_within_its_bucket() -> None:
    buckets = {0.001: 10.0, 0.01: 90.0, 0.1: 100.0, math.inf: 100.0}
    assert histogram_quantile(0.5, buckets) == pytest.approx(0.001 + 0.009 * 40 / 80)
    assert histogram_quantile(0.99, buckets) == pytest.approx(0.01 + 0.09 * 9 / 10)
    # above every finite bound: the highest finite bound
    assert histogram_quantile(0.99, {0.1: 0.0, math.inf: 5.0}) == 0.1
    assert math.isnan(histogram_quantile(0.99, {0.1: 0.0, math.inf: 0.0}))


def test_bucket_delta_is_what_arrived_between_scrapes() -> None:
    before = {0.01: 5.0, math.inf: 6.0}
    after = {0.01: 15.0, math.inf: 20.0}
    assert bucket_delta(after, before) == {0.01: 10.0, math.inf: 14.0}


def test_growth_after_the_warm_up() -> None:
    assert growth([50, 100, 100, 104], warm_up=1) == pytest.approx(0.04)
    assert math.isnan(growth([50, 100], warm_up=2))


TASKPROCESSORS = """
Processor Processed In Queue Max Depth Low water High water Low time(us) High time(us)
app_voicemail 0 0 0 450 500 0 0
stasis/m:cel:aggregator-000002be 2821 38 108 2700 3000 0 11474
stasis/m:manager:core-0000000d 70993 3 363 2700 3000 0 3256

1190 taskprocessors
"""


def test_taskprocessor_queues_are_read_from_asterisk_22s_columns() -> None:
    peaks = queued(TASKPROCESSORS)
    assert peaks == {
        "app_voicemail": 0,
        "stasis/m:cel:aggregator-000002be": 38,
        "stasis/m:manager:core-0000000d": 3,
    }
    assert deepest(peaks) == "stasis/m:cel:aggregator=38,stasis/m:manager:core=3"
    assert deepest({"app_voicemail": 0}) == "-"


async def test_a_step_waits_until_asterisks_queues_have_drained() -> None:
    drained = TASKPROCESSORS.replace(" 2821 38 108 ", " 2821 0 108 ")
    backlog = TASKPROCESSORS.replace(" 2821 38 108 ", " 2821 6082 6082 ")
    said = iter([backlog, backlog, drained])
    asked: list[str] = []

    def cli(command: str) -> str:
        asked.append(command)
        return next(said)

    waited, depth = await settle(cli)
    assert (len(asked), depth) == (3, 3) and waited > 0
    assert asked == ["core show taskprocessors"] * 3
    # never for ever: past within_s the step starts with what is left
    assert (await settle(lambda _c: backlog, within_s=0))[1] == 6082


QUEUE_SHOW = """12333 has 0 calls (max unlimited) in 'rrmemory' strategy (0s holdtime), W:1, C:0
   Members:
      500000 (Local/30000@agents-local/n from PJSIP/30000) (ringinuse disabled) (dynamic) (paused)
      1001 (Local/2001@agents-local/n from PJSIP/2001) (ringinuse disabled) (dynamic)
   No Callers
hotline-owners has 0 calls (max unlimited) in 'rrmemory' strategy
   Members:
      500001 (Local/30001@hl-bench-alone/n from PJSIP/30001) (dynamic)
      Local/30007@hl-bench-alone/n (ringinuse disabled) (dynamic) (Invalid) has taken no calls
      Local/2002@agents-local/n (dynamic)
"""


def test_only_bench_members_are_found_to_clear() -> None:
    """An interrupted bench leaves its members in the queues; the clean-up removes the
    bench phones' (30000…) and never a real agent's."""
    assert members(QUEUE_SHOW, 30000, 39999) == [
        ("12333", "Local/30000@agents-local/n"),
        ("hotline-owners", "Local/30001@hl-bench-alone/n"),
        ("hotline-owners", "Local/30007@hl-bench-alone/n"),  # one added with no name
    ]


@pytest.mark.parametrize(
    ("samples", "expected"), [(60, 10), (10, 9), (3, 2), (2, 1), (1, 1), (0, 1)]
)
def test_the_heap_baseline_ends_the_warm_up_with_a_report_after_it(
    samples: int, expected: int
) -> None:
    assert heap_baseline(samples, 10) == expected


def test_heap_reports_are_read_from_the_services_json_log() -> None:
    lines = [
        '{"event": "hotline serving", "level": "info"}',
        json.dumps({"event": "heap report", "report": 1}),
        "Traceback (most recent call last): heap report",
        '{"event": "heap report failed", "level": "error"}',
        json.dumps({"event": "heap report", "report": 2}),
    ]
    assert [r["report"] for r in heap_reports(lines)] == [1, 2]


def test_heap_lines_show_the_growth_since_the_first_report() -> None:
    report = {
        "event": "heap report",
        "report": 51,
        "took_ms": 2100,
        "rss_mb": 130.2,
        "rss_mb_delta_since_first": 12.5,
        "objects": 412345,
        "objects_delta_since_first": 18003,
        "traced_mb": 60.1,
        "types": [{"type": "dict", "count": 9, "delta": 1}],
        "types_since_first": [{"type": "asyncio.events.Handle", "count": 20123, "delta": 18000}],
        "sites_since_first": [
            {
                "site": "panoramisk/manager.py:123",
                "kb": 9000.0,
                "kb_delta": 8123.4,
                "blocks_delta": 52000,
            }
        ],
    }
    text = "\n".join(heap_lines(report))
    assert "RSS 130.2 MB (+12.5 MB)" in text
    assert "+18,000     20,123  asyncio.events.Handle" in text
    assert "+8,123.4    +52,000  panoramisk/manager.py:123" in text
    assert "dict" not in text  # growth since the previous report is not what is printed
    assert "nothing to compare" in heap_lines({"event": "heap report", "report": 1})[0]


def test_a_profile_counts_the_loops_busy_samples_once_per_function() -> None:
    raw = [
        "<module> (<string>:1);run_forever (asyncio/base_events.py:1);"
        "_dispatch (ami/client.py:406);parse_event (ami/events.py:587) 30",
        "<module> (<string>:1);run_forever (asyncio/base_events.py:1);"
        "_dispatch (ami/client.py:406);_dispatch (ami/client.py:410);"
        "write (db/durable.py:9) 10",
        "<module> (<string>:1);run_forever (asyncio/base_events.py:1);"
        "EpollSelector.select (selectors.py:468) 50",
        "Thread._bootstrap (threading.py:1002);_worker (concurrent/futures/thread.py:81) 99",
        "not a stack line",
    ]
    found = busiest(raw)
    assert (found.busy, found.waiting) == (40, 50)  # the worker thread is not the loop
    assert found.functions == (
        ("_dispatch (ami/client.py)", 40),  # recursion counted once per sample
        ("parse_event (ami/events.py)", 30),
        ("write (db/durable.py)", 10),
    )  # the trunk (<string>, asyncio) left out
    assert found.share(30) == 75.0


def test_a_ratio_of_percentiles_comes_with_its_bootstrap_interval() -> None:
    base = [float(v) for v in range(1, 201)]  # p99: 198
    other = [1.1 * v for v in base]
    found = ratio_interval(base, other, 99)
    assert found.ratio == pytest.approx(1.1)
    assert found.low < found.ratio < found.high  # 200 samples: a p99 is not exact
    assert ratio_interval(base, other, 99) == found  # the same seed, the same interval
    # ten times the samples: a narrower interval around the same ratio
    many = ratio_interval(base * 10, other * 10, 99)
    assert many.high - many.low < found.high - found.low
    assert math.isnan(ratio_interval([], other, 99).ratio)


def test_the_same_sample_twice_has_a_ratio_of_one_within_its_interval() -> None:
    """The A/A comparison: Asterisk alone against itself."""
    values = [float(v % 37) for v in range(500)]
    found = ratio_interval(values, list(values), 99)
    assert found.ratio == 1.0 and found.low <= 1.0 <= found.high
    assert found.label() == f"1.00 [{found.low:.2f}, {found.high:.2f}]"


def test_rounds_that_drift_widen_the_interval_to_what_the_rounds_show() -> None:
    """Run W's picture: the full set-up slower than alone in one round and faster in
    the others, the box itself moving between rounds. Calls resampled alone give a
    narrow interval that leaves out 1 and the faster rounds; whole rounds resampled
    give one that holds every round's own ratio."""
    calls = [float(v) for v in range(1, 1201)]
    rounds = [
        (calls, [0.97 * v for v in calls]),
        ([1.05 * v for v in calls], [1.35 * v for v in calls]),  # a slow round for both
        (calls, [0.95 * v for v in calls]),
    ]
    every_base = [v for b, _ in rounds for v in b]
    every_other = [v for _, o in rounds for v in o]
    by_calls = ratio_interval(every_base, every_other, 99)
    by_rounds = rounds_ratio_interval(rounds, 99)
    assert by_rounds.ratio == by_calls.ratio  # the same pooled p99s
    assert by_calls.low > 1.0  # the call-level interval: "slower, surely"
    assert by_rounds.low <= 0.97 and by_rounds.high >= 1.25  # the rounds say otherwise
    assert rounds_ratio_interval(rounds, 99) == by_rounds  # the same seed, the same interval


def test_one_round_is_the_plain_interval_and_an_empty_pair_is_left_out() -> None:
    base = [float(v % 41) for v in range(400)]
    other = [1.2 * v for v in base]
    assert rounds_ratio_interval([(base, other)], 99) == ratio_interval(base, other, 99)
    assert rounds_ratio_interval([(base, other), ([], other)], 99) == ratio_interval(
        base, other, 99
    )
    assert math.isnan(rounds_ratio_interval([], 99).ratio)
    assert math.isnan(rounds_ratio_interval([([], other)], 99).low)
