"""What grows in the running service's heap: a report on demand (``kill -USR1 <pid>``).

Each report counts the live objects by type (``gc.get_objects()``, after a
``gc.collect()``) and, when the process was started with ``PYTHONTRACEMALLOC=N``
(Python's own variable: trace every allocation, keep N frames), the traced bytes by
allocation site; then logs ONE structlog line, event ``"heap report"``, with what grew
most since the previous report (``types``, ``sites``) and since the first report of
the process (``types_since_first``, ``sites_since_first``), and the RSS. Only
gc-tracked objects are counted (instances and containers; not ``str``, ``bytes``,
``int``, nor a dict or tuple holding only such atoms): a leak of those shows in the
sites only. Under tracing a report takes seconds (``took_ms``), the loop blocked.
Each report then trims glibc's heaps and logs the RSS after it (``rss_mb_trimmed``).

``trim_every`` (started by ``serve``) trims them every ``HOTLINE_MEMORY_TRIM_S``: the
soak showed RSS creeping with the gc objects flat — free pages glibc kept.

The counting, diffing and ranking are pure (tested in tests/pure/test_heap.py); the
``gc``/``tracemalloc``/``/proc`` calls are the thin shell ``look()``.
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import gc
import os
import site
import sysconfig
import time
import tracemalloc
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.logging import get_logger

log = get_logger("hotline.heap")

TOP = 15  # lines per list in a report
FRAMES_SHOWN = 3  # of a site's traceback, the allocation's own frame first

Frame = tuple[str, int]  # file name, line number
# frames that say nothing about the service (left out of a site): the import machinery
HIDDEN_FRAMES = ("<frozen importlib", "<unknown>", "/importlib/")
# what the report itself allocates (its previous looks, tracemalloc's snapshot): not shown
OWN_FILES = (tracemalloc.__file__, __file__)


@dataclass(frozen=True)
class Sites:
    """Traced memory by site key: bytes and blocks (flat maps: no object per site, which
    the next look would count)."""

    size: Mapping[str, int]
    count: Mapping[str, int]


@dataclass(frozen=True)
class Heap:
    """One look at the heap: live objects by type name, traced allocations by site
    (``None`` when tracemalloc is not tracing), traced and resident bytes."""

    objects: int
    types: Mapping[str, int]
    sites: Sites | None
    traced_bytes: int
    rss_bytes: int


@dataclass(frozen=True)
class Growth:
    """A key whose quantity grew: what it is now and by how much."""

    key: str
    now: int
    delta: int


# --- pure: counting, diffing, ranking ------------------------------------------------


def type_name(cls: type) -> str:
    """``dict`` for builtins, ``module.Qualified.name`` for everything else."""
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def count_types(objects: Iterable[object]) -> dict[str, int]:
    """Live objects counted by type name."""
    by_type: dict[type, int] = {}
    for obj in objects:
        cls = type(obj)
        by_type[cls] = by_type.get(cls, 0) + 1
    counts: dict[str, int] = {}
    for cls, n in by_type.items():  # two classes may share a name (a local class)
        name = type_name(cls)
        counts[name] = counts.get(name, 0) + n
    return counts


def grown(before: Mapping[str, int], after: Mapping[str, int], top: int = TOP) -> list[Growth]:
    """The ``top`` keys that grew most from ``before`` to ``after`` (new keys grew from
    0), largest growth first, ties by key; nothing that stayed or shrank."""
    growths = [Growth(k, n, n - before.get(k, 0)) for k, n in after.items()]
    ranked = sorted((g for g in growths if g.delta > 0), key=lambda g: (-g.delta, g.key))
    return ranked[:top]


def short_path(filename: str, roots: Sequence[str]) -> str:
    """A file name relative to the longest root it lies under (site-packages, the
    standard library, the repository); else its last two parts — never a whole path."""
    for root in sorted(roots, key=len, reverse=True):
        prefix = root.rstrip("/") + "/"
        if filename.startswith(prefix):
            return filename[len(prefix) :]
    if filename.startswith("<"):
        return filename
    return "/".join(Path(filename).parts[-2:])


@functools.lru_cache(maxsize=8192)
def _shown(filename: str, roots: tuple[str, ...]) -> str | None:
    """A frame's file as shown; ``None`` for a hidden one (asked once per file)."""
    if any(hidden in filename for hidden in HIDDEN_FRAMES):
        return None
    return short_path(filename, roots)


def site_key(frames: Sequence[Frame], roots: tuple[str, ...], shown: int = FRAMES_SHOWN) -> str:
    """``"a.py:3 < b.py:9"``: the allocating frame first, then its callers (``frames``
    oldest first, as tracemalloc gives them), hidden frames left out; "" for the
    report's own allocations and where nothing is left."""
    if not frames or frames[-1][0] in OWN_FILES:
        return ""
    named = ((_shown(name, roots), line) for name, line in reversed(frames))
    return " < ".join([f"{name}:{line}" for name, line in named if name is not None][:shown])


def sites(
    traces: Iterable[tuple[Sequence[Frame], int, int]],
    roots: tuple[str, ...],
    shown: int = FRAMES_SHOWN,
) -> Sites:
    """Traced (frames, bytes, blocks) summed by site key; the report's own and those
    with only hidden frames left out."""
    size: dict[str, int] = {}
    count: dict[str, int] = {}
    for frames, nbytes, blocks in traces:
        key = site_key(frames, roots, shown)
        if key:
            size[key] = size.get(key, 0) + nbytes
            count[key] = count.get(key, 0) + blocks
    return Sites(size, count)


def _types(now: Heap, then: Heap) -> list[dict[str, Any]]:
    return [{"type": g.key, "count": g.now, "delta": g.delta} for g in grown(then.types, now.types)]


def _sites(now: Sites, then: Sites) -> list[dict[str, Any]]:
    return [
        {
            "site": g.key,
            "kb": round(g.now / 1024, 1),
            "kb_delta": round(g.delta / 1024, 1),
            "blocks_delta": now.count[g.key] - then.count.get(g.key, 0),
        }
        for g in grown(then.size, now.size)
    ]


def report_fields(now: Heap, previous: Heap | None, first: Heap | None) -> dict[str, Any]:
    """The report's fields: totals now, growth since the previous and the first report
    (none on the first report itself)."""
    fields: dict[str, Any] = {
        "rss_mb": round(now.rss_bytes / 2**20, 1),
        "objects": now.objects,
        "tracing": now.sites is not None,
    }
    if now.sites is not None:
        fields["traced_mb"] = round(now.traced_bytes / 2**20, 1)
    for suffix, then in (("", previous), ("_since_first", first)):
        if then is None:
            continue
        fields[f"rss_mb_delta{suffix}"] = round((now.rss_bytes - then.rss_bytes) / 2**20, 1)
        fields[f"objects_delta{suffix}"] = now.objects - then.objects
        fields[f"types{suffix}"] = _types(now, then)
        if now.sites is not None and then.sites is not None:
            fields[f"sites{suffix}"] = _sites(now.sites, then.sites)
    return fields


# --- the shell: gc, tracemalloc, /proc -----------------------------------------------


def rss_bytes() -> int:
    """Resident set size from /proc/self/statm (0 where there is no /proc)."""
    try:
        resident = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return resident * os.sysconf("SC_PAGE_SIZE")


def malloc_trim() -> bool:
    """glibc's ``malloc_trim(0)``: the free pages the allocator keeps inside its heaps go
    back to the kernel (a few ms for ~100 MB). False where there is no glibc."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        return False
    return True


def trimmed_rss_bytes() -> int | None:
    """RSS after ``malloc_trim`` (None without glibc): what RSS holds beyond it is memory
    in use, not free memory the allocator kept — a leak shows in both, fragmentation
    only before the trim."""
    return rss_bytes() if malloc_trim() else None


async def trim_every(seconds: float) -> None:
    """``malloc_trim`` every ``seconds`` (never when 0), for good. Without it the service's
    RSS crept up ~0.6 KB a call under load — pages glibc kept after the objects on them
    were freed, not objects kept (README "Capacity", the soak)."""
    if seconds <= 0:
        return
    while True:
        await asyncio.sleep(seconds)
        before = rss_bytes()
        if not malloc_trim():
            return
        log.debug(
            "memory trimmed",
            rss_mb=round(rss_bytes() / 2**20, 1),
            before_mb=round(before / 2**20, 1),
        )


def path_roots() -> tuple[str, ...]:
    """Where code lives: site-packages, the standard library, this repository."""
    paths = sysconfig.get_paths()
    found = [*site.getsitepackages(), paths["purelib"], paths["platlib"], paths["stdlib"]]
    found.append(str(Path(__file__).resolve().parent.parent))
    return tuple(p for p in dict.fromkeys(found) if p)


def traced_sites(roots: tuple[str, ...]) -> Sites:
    """tracemalloc's traces now, by site."""
    stats = tracemalloc.take_snapshot().statistics("traceback")
    return sites(
        (([(f.filename, f.lineno) for f in s.traceback], s.size, s.count) for s in stats), roots
    )


def look(roots: tuple[str, ...]) -> tuple[Heap, int]:
    """The heap now, after a full collection; and what that collection freed."""
    collected = gc.collect()
    found = traced_sites(roots) if tracemalloc.is_tracing() else None
    traced = tracemalloc.get_traced_memory()[0]
    objects = gc.get_objects()
    types = count_types(objects)
    total = len(objects)
    del objects
    return Heap(total, types, found, traced, rss_bytes()), collected


class HeapReports:
    """The service's heap reports: keeps the first and the previous look to diff."""

    def __init__(self) -> None:
        self.first: Heap | None = None
        self.previous: Heap | None = None
        self.taken = 0
        self._roots = path_roots()

    def report(self) -> None:
        """Look, log one "heap report" line; on the event loop (it blocks it a while)."""
        began = time.monotonic()
        try:
            now, collected = look(self._roots)
        except Exception:  # an operator's probe never takes the service down
            log.exception("heap report failed")
            return
        self.taken += 1
        fields = report_fields(now, self.previous, self.first)
        trimmed = trimmed_rss_bytes()
        if trimmed is not None:
            fields["rss_mb_trimmed"] = round(trimmed / 2**20, 1)
        log.info(
            "heap report",
            report=self.taken,
            collected=collected,
            took_ms=round((time.monotonic() - began) * 1000),
            **fields,
        )
        self.previous = now
        if self.first is None:
            self.first = now
