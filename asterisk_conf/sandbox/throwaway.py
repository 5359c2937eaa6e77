"""The sandbox's throwaway databases: one a test (tests/conftest.py) or a bench run
(bench/), dropped at its end. A service run against one writes its journal under the
sandbox's state folder (``Settings.journal_file``); once the database is gone the
journal can never be replayed, so ``hotline sandbox up`` removes it — else every test
run would leave ~150 of them behind for good.

Only journals of throwaway names are ever removed: the demo's database and any other
keep theirs, whatever PostgreSQL says."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from pathlib import Path

import asyncpg

from core.settings import journal_database

TEST_DATABASE_PREFIX = "hotline_test_"
BENCH_DATABASE_PREFIX = "hotline_bench_"
PREFIXES = (TEST_DATABASE_PREFIX, BENCH_DATABASE_PREFIX)
SQLITE_SIDE_FILES = ("-wal", "-shm")  # the journal runs in WAL mode (db/journal.py)


def for_tests() -> str:
    """A new database's name for one test."""
    return f"{TEST_DATABASE_PREFIX}{uuid.uuid4().hex[:12]}"


def for_bench() -> str:
    """A new database's name for one bench run."""
    return f"{BENCH_DATABASE_PREFIX}{uuid.uuid4().hex[:8]}"


def stale_journals(files: Iterable[Path], databases: Iterable[str]) -> list[Path]:
    """The journals among ``files`` written for a throwaway database that is no longer
    among ``databases`` (the server's ``pg_database``), with their SQLite side files."""
    alive = set(databases)
    stale: list[Path] = []
    for path in sorted(files):
        name = journal_database(path)
        if name is not None and name.startswith(PREFIXES) and name not in alive:
            stale.append(path)
            stale += [path.with_name(path.name + side) for side in SQLITE_SIDE_FILES]
    return stale


def remove(paths: Iterable[Path]) -> int:
    """Unlinks those that exist; the count of journals removed (side files not counted)."""
    removed = 0
    for path in paths:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        removed += not path.name.endswith(SQLITE_SIDE_FILES)
    return removed


async def database_names(database_url: str) -> list[str]:
    """Every database on the server at ``database_url`` (``pg_database``)."""
    conn = await asyncpg.connect(database_url, timeout=10)
    try:
        return [r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")]
    finally:
        await conn.close()


def remove_stale(state_dir: Path, databases: Iterable[str]) -> int:
    """Removes the stale journals under ``state_dir``; the count removed."""
    return remove(stale_journals(state_dir.glob("*"), databases))
