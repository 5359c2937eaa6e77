"""The heap report (hotline/heap.py): counting, diffing and ranking; and the report as
the service runs it, in this process, naming a type and a site grown on purpose."""

from __future__ import annotations

import asyncio
import sys
import tracemalloc
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from hotline import heap as heap_module
from hotline.heap import (
    Growth,
    Heap,
    HeapReports,
    Sites,
    count_types,
    grown,
    report_fields,
    short_path,
    site_key,
    sites,
    type_name,
)

ROOTS: tuple[str, ...] = (
    "/srv/app",
    "/srv/app/.venv/lib/python3.11/site-packages",
    "/usr/lib/python3.11",
)


def test_type_names_are_qualified_outside_builtins() -> None:
    assert type_name(dict) == "dict"
    assert type_name(OrderedDict) == "collections.OrderedDict"
    assert type_name(Growth) == "hotline.heap.Growth"


def test_objects_are_counted_by_type_name() -> None:
    class Local:
        pass

    counted = count_types([{}, {}, [], Local(), Local(), Local()])
    assert counted == {"dict": 2, "list": 1, f"{__name__}.{Local.__qualname__}": 3}


def test_two_classes_of_one_name_are_counted_together() -> None:
    def make() -> type:
        class Same:
            pass

        return Same

    one, two = make(), make()
    assert count_types([one(), two()]) == {f"{__name__}.{one.__qualname__}": 2}


@pytest.mark.parametrize(
    ("before", "after", "top", "expected"),
    [
        # largest growth first; what shrank or stayed is not growth
        (
            {"a": 10, "b": 5, "c": 7},
            {"a": 12, "b": 50, "c": 7},
            5,
            [Growth("b", 50, 45), Growth("a", 12, 2)],
        ),
        ({"a": 10}, {"a": 3}, 5, []),
        # a new key grew from nothing
        ({}, {"new": 4}, 5, [Growth("new", 4, 4)]),
        # ties by key; only the top N
        ({}, {"z": 3, "y": 3, "x": 1}, 2, [Growth("y", 3, 3), Growth("z", 3, 3)]),
    ],
)
def test_growth_is_ranked(
    before: dict[str, int], after: dict[str, int], top: int, expected: list[Growth]
) -> None:
    assert grown(before, after, top) == expected


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("/srv/app/calls/service.py", "calls/service.py"),
        # the longest root wins: site-packages inside the repository's venv
        (
            "/srv/app/.venv/lib/python3.11/site-packages/panoramisk/manager.py",
            "panoramisk/manager.py",
        ),
        ("/usr/lib/python3.11/asyncio/events.py", "asyncio/events.py"),
        # elsewhere: the last two parts, never the whole path
        ("/opt/elsewhere/x/y.py", "x/y.py"),
        ("<string>", "<string>"),
    ],
)
def test_paths_are_shortened(filename: str, expected: str) -> None:
    assert short_path(filename, ROOTS) == expected


def test_a_site_shows_the_allocating_frame_first_without_import_frames() -> None:
    frames = [
        ("/srv/app/hotline/serve.py", 10),
        ("/srv/app/ami/client.py", 20),
        ("<frozen importlib._bootstrap_external>", 729),
        ("/srv/app/calls/service.py", 30),
        ("<frozen importlib._bootstrap>", 1147),
    ]
    assert site_key(frames, ROOTS, shown=2) == "calls/service.py:30 < ami/client.py:20"
    assert site_key(frames[-1:], ROOTS) == ""


@pytest.mark.parametrize(
    "own", [tracemalloc.__file__, heap_module.__file__], ids=["tracemalloc", "report"]
)
def test_the_reports_own_allocations_are_no_site(own: str) -> None:
    assert site_key([("/srv/app/ami/client.py", 20), (own, 5)], ROOTS) == ""


def test_traces_are_summed_by_site_and_hidden_ones_dropped() -> None:
    traces = [
        ([("/srv/app/a.py", 1), ("/srv/app/b.py", 2)], 100, 1),
        ([("/srv/app/x.py", 9), ("/srv/app/b.py", 2)], 50, 2),  # same site, 1 frame shown
        ([("<unknown>", 0)], 999, 9),
    ]
    assert sites(traces, ROOTS, shown=1) == Sites({"b.py:2": 150}, {"b.py:2": 3})


def heap(
    types: dict[str, int], found: dict[str, tuple[int, int]] | None = None, rss: int = 0
) -> Heap:
    traced = None
    if found is not None:
        traced = Sites({k: v[0] for k, v in found.items()}, {k: v[1] for k, v in found.items()})
    return Heap(sum(types.values()), types, traced, 0, rss)


def test_the_first_report_has_totals_and_no_growth() -> None:
    fields = report_fields(heap({"dict": 3}, rss=2**20), None, None)
    assert fields == {"rss_mb": 1.0, "objects": 3, "tracing": False}


def test_a_report_diffs_against_the_previous_and_the_first() -> None:
    first = heap({"dict": 10}, {"a.py:1": (1024, 1)}, rss=100 * 2**20)
    previous = heap({"dict": 10, "Call": 50}, {"a.py:1": (4096, 3)}, rss=101 * 2**20)
    now = heap({"dict": 12, "Call": 80}, {"a.py:1": (5120, 4), "b.py:2": (512, 1)}, 103 * 2**20)
    fields = report_fields(now, previous, first)
    assert fields["types"] == [
        {"type": "Call", "count": 80, "delta": 30},
        {"type": "dict", "count": 12, "delta": 2},
    ]
    assert fields["types_since_first"][0] == {"type": "Call", "count": 80, "delta": 80}
    assert fields["sites"] == [
        {"site": "a.py:1", "kb": 5.0, "kb_delta": 1.0, "blocks_delta": 1},
        {"site": "b.py:2", "kb": 0.5, "kb_delta": 0.5, "blocks_delta": 1},
    ]
    assert fields["sites_since_first"][0] == {
        "site": "a.py:1",
        "kb": 5.0,
        "kb_delta": 4.0,
        "blocks_delta": 3,
    }
    assert (fields["rss_mb_delta"], fields["rss_mb_delta_since_first"]) == (2.0, 3.0)
    assert (fields["objects_delta"], fields["objects_delta_since_first"]) == (32, 82)


class Grown:
    """What the in-process test grows on purpose."""


GROWN = f"{__name__}.Grown"


def report_of(reports: HeapReports) -> dict[str, Any]:
    with capture_logs() as logs:
        reports.report()
    [line] = [dict(e) for e in logs if e["event"] == "heap report"]
    return line


def test_the_report_names_a_type_grown_between_two_reports() -> None:
    reports = HeapReports()
    first = report_of(reports)
    kept = [Grown() for _ in range(5000)]
    second = report_of(reports)
    assert (first["report"], second["report"]) == (1, 2)
    assert second["types"][0] == {
        "type": GROWN,
        "count": second["types"][0]["count"],
        "delta": 5000,
    }
    assert second["objects_delta"] >= 5000
    assert second["rss_mb"] > 0
    kept += [Grown() for _ in range(2000)]
    third = report_of(reports)
    assert (third["types"][0]["type"], third["types"][0]["delta"]) == (GROWN, 2000)
    assert third["types_since_first"][0]["delta"] == 7000  # the first report: a baseline
    assert len(kept) == 7000


def test_the_report_names_the_site_that_allocated_when_tracing() -> None:
    tracemalloc.start(3)
    try:
        reports = HeapReports()
        first = report_of(reports)
        line = sys._getframe().f_lineno + 1  # the next line allocates
        kept = [bytearray(1000) for _ in range(5000)]
        second = report_of(reports)
    finally:
        tracemalloc.stop()
    here = Path(__file__).resolve().relative_to(Path(__file__).resolve().parents[2])
    assert first["tracing"] and "sites" not in first
    top = second["sites"][0]
    assert top["site"].startswith(f"{here}:{line}")
    assert top["kb_delta"] >= 5000
    assert not any(s["site"].startswith("/") for s in second["sites"])
    assert len(kept) == 5000


async def test_memory_is_trimmed_every_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    trims: list[int] = []
    third = asyncio.Event()

    def trim() -> bool:
        trims.append(1)
        if len(trims) == 3:
            third.set()
        return True

    monkeypatch.setattr(heap_module, "malloc_trim", trim)
    task = asyncio.create_task(heap_module.trim_every(0.01))
    await asyncio.wait_for(third.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert heap_module.malloc_trim() is True  # this machine has glibc: the real call runs


async def test_no_trimming_when_turned_off_or_without_glibc(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await asyncio.wait_for(heap_module.trim_every(0), 1)  # 0: returns at once
    monkeypatch.setattr(heap_module, "malloc_trim", lambda: False)
    await asyncio.wait_for(heap_module.trim_every(0.01), 1)  # no glibc: stops
