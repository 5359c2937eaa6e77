"""The CEL loader against a real PostgreSQL (calls/cel_loader.py): every byte Asterisk
appended is loaded once — across restarts, a stop between any two steps, two loaders,
a write late into a file moved aside, and an outage of the database."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any, cast

import asyncpg

from calls.cel_loader import CelLoader
from calls.cel_spool import COLUMNS
from core import names
from tests.pure.test_cel_spool import HANGUP, record


def rows(n: int, start: int = 0) -> bytes:
    return b"".join(
        record(**{**HANGUP, "uniqueid": f"1796053842.{i}"}) for i in range(start, start + n)
    )


def append(spool: Path, data: bytes, name: str = names.CEL_SPOOL_FILE) -> None:
    """As Asterisk does: open for appending, write, close."""
    spool.mkdir(exist_ok=True)
    with open(spool / name, "ab") as fh:
        fh.write(data)


def loader(url: str, spool: Path, **kw: Any) -> CelLoader:
    return CelLoader(lambda: asyncpg.connect(url), spool, **kw)


async def loaded_ids(pool: asyncpg.Pool) -> list[str]:
    return [r["uniqueid"] for r in await pool.fetch("SELECT uniqueid FROM cel ORDER BY id")]


async def eventually_loaded(pool: asyncpg.Pool, count: int, timeout: float = 10) -> bool:
    deadline = asyncio.get_running_loop().time() + timeout
    while len(await loaded_ids(pool)) < count:
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def ids(n: int, start: int = 0) -> list[str]:
    return [f"1796053842.{i}" for i in range(start, start + n)]


async def test_rows_are_loaded_in_order_once_and_the_file_goes_when_quiet(
    pool: asyncpg.Pool, fresh_db: str, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    append(spool, rows(3))
    first = loader(fresh_db, spool, keep_s=3600)
    await first.tick()
    append(spool, rows(2, start=3))  # Asterisk starts a new cel.csv
    await first.tick()
    await first.tick()
    assert await loaded_ids(pool) == ids(5)
    moved = first.moved_aside()
    assert len(moved) == 2 and not (spool / names.CEL_SPOOL_FILE).exists()
    assert first.behind_bytes() == 0
    # a new loader (a restart) finds both files loaded: nothing twice
    await loader(fresh_db, spool, keep_s=3600).tick()
    assert await loaded_ids(pool) == ids(5)
    # quiet for keep_s: deleted, and their rows forgotten
    for path in moved:
        os.utime(path, (0, 0))
    await loader(fresh_db, spool, keep_s=60).tick()
    assert loader(fresh_db, spool).moved_aside() == []
    assert await pool.fetchval("SELECT count(*) FROM cel_spool_files") == 0
    assert await loaded_ids(pool) == ids(5)


async def test_a_row_written_late_into_a_moved_file_is_loaded_too(
    pool: asyncpg.Pool, fresh_db: str, tmp_path: Path
) -> None:
    """Asterisk opened cel.csv just before the loader moved it: its row lands in the
    moved-aside file after the load; the file is kept keep_s for that."""
    spool = tmp_path / "spool"
    append(spool, rows(2))
    one = loader(fresh_db, spool, keep_s=3600)
    await one.tick()
    (moved,) = one.moved_aside()
    append(spool, rows(1, start=2), name=moved.name)
    await one.tick()
    assert await loaded_ids(pool) == ids(3)


async def test_a_loader_stopped_inside_a_load_loads_it_again_whole(
    pool: asyncpg.Pool, fresh_db: str, tmp_path: Path
) -> None:
    """The rows and the file's loaded bytes are one transaction: stopped after the COPY,
    before the bytes were recorded, nothing of the load stays, and the next loads it."""
    spool = tmp_path / "spool"
    append(spool, rows(4))

    class Stops(Exception):
        pass

    class StopsBeforeTheBytes:
        """The connection, but the statement recording the loaded bytes never runs."""

        def __init__(self, conn: asyncpg.Connection) -> None:
            self.conn = conn

        def __getattr__(self, name: str) -> Any:
            return getattr(self.conn, name)

        async def execute(self, query: str, *args: Any) -> str:
            if query.lstrip().startswith("UPDATE cel_spool_files"):
                raise Stops
            return str(await self.conn.execute(query, *args))

    async def connect_then_fail() -> asyncpg.Connection:
        return cast(asyncpg.Connection, StopsBeforeTheBytes(await asyncpg.connect(fresh_db)))

    crashing = CelLoader(connect_then_fail, spool)
    try:
        await crashing.tick()
        raise AssertionError("the load went through")
    except Stops:
        pass
    assert await loaded_ids(pool) == []
    await loader(fresh_db, spool).tick()
    assert await loaded_ids(pool) == ids(4)


async def test_two_loaders_on_one_spool_load_each_row_once(
    pool: asyncpg.Pool, fresh_db: str, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    a, b = loader(fresh_db, spool, keep_s=0), loader(fresh_db, spool, keep_s=0)
    for batch in range(20):
        append(spool, rows(5, start=batch * 5))
        await asyncio.gather(a.tick(), b.tick())
    await asyncio.gather(a.tick(), b.tick())
    assert sorted(await loaded_ids(pool)) == sorted(ids(100))


async def test_what_is_no_row_is_kept_with_its_reason_and_the_file_still_finishes(
    pool: asyncpg.Pool, fresh_db: str, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    bad = record(**{**HANGUP, "name": "a\x00b"})
    unfinished = rows(1)[:30]
    append(spool, rows(1) + bad + rows(1, start=1) + unfinished)
    one = loader(fresh_db, spool, keep_s=3600)
    await one.tick()
    assert await loaded_ids(pool) == ids(2)
    (moved,) = one.moved_aside()
    os.utime(moved, (0, 0))  # Asterisk will not finish that last record now
    quiet = loader(fresh_db, spool, keep_s=60)
    await quiet.tick()  # the tail kept aside, the file loaded to its end...
    await quiet.tick()  # ...and deleted
    assert quiet.moved_aside() == []
    kept = await pool.fetch("SELECT byte_offset, raw, reason FROM cel_spool_rejects ORDER BY id")
    assert [(bytes(r["raw"]), r["reason"]) for r in kept] == [
        (bad, "a NUL character (PostgreSQL's text cannot hold it)"),
        (unfinished, "unfinished record at the end"),
    ]
    assert kept[0]["byte_offset"] == len(rows(1))
    assert await loaded_ids(pool) == ids(2)


async def test_while_the_database_is_away_the_rows_wait_in_the_spool(
    pool: asyncpg.Pool, fresh_db: str, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    append(spool, rows(3))
    up = asyncio.Event()
    refused = asyncio.Semaphore(0)

    async def connect() -> asyncpg.Connection:
        if not up.is_set():
            refused.release()
            raise OSError("connection refused")
        return await asyncpg.connect(fresh_db)

    running = asyncio.create_task(CelLoader(connect, spool, every_s=0.05).run())
    try:
        for _ in range(3):  # three rounds that failed (logged once), the loader still on
            await asyncio.wait_for(refused.acquire(), 10)
        assert not running.done()
        assert await loaded_ids(pool) == []
        append(spool, rows(2, start=3))
        up.set()
        assert await eventually_loaded(pool, 5)
        assert await loaded_ids(pool) == ids(5)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)


async def test_a_big_backlog_is_loaded_in_chunks(
    pool: asyncpg.Pool, fresh_db: str, tmp_path: Path
) -> None:
    """After a long stop cel.csv is large: it is loaded a chunk per transaction."""
    spool = tmp_path / "spool"
    append(spool, rows(500))
    small = loader(fresh_db, spool, chunk_bytes=10_000)
    await small.tick()
    assert await loaded_ids(pool) == ids(500)
    (moved,) = small.moved_aside()
    assert (
        await pool.fetchval("SELECT loaded_bytes FROM cel_spool_files WHERE name = $1", moved.name)
        == moved.stat().st_size
    )


async def test_the_spool_fills_every_column_of_the_cel_table(pool: asyncpg.Pool) -> None:
    """cel_custom's fields (core/names.py CEL_SPOOL_FIELDS) are the table's columns, as
    cel_pgsql filled them: a column left out would be NULL in every row."""
    columns = await pool.fetch(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_name = 'cel' AND column_name <> 'id'"
    )
    assert {r["column_name"] for r in columns} == set(COLUMNS)


async def test_rows_of_files_that_are_gone_are_forgotten_at_start(
    pool: asyncpg.Pool, fresh_db: str, tmp_path: Path
) -> None:
    """A loader stopped between deleting a file and forgetting its row leaves the row;
    the next one forgets it — and keeps the row of a file still there."""
    spool = tmp_path / "spool"
    append(spool, rows(2))
    first = loader(fresh_db, spool, keep_s=3600)
    await first.tick()
    (kept,) = first.moved_aside()
    await pool.execute(
        "INSERT INTO cel_spool_files (name, loaded_bytes) VALUES ($1, 9)",
        "cel-00000000000000000001.csv",
    )
    await loader(fresh_db, spool, keep_s=3600).tick()
    names = [r["name"] for r in await pool.fetch("SELECT name FROM cel_spool_files")]
    assert names == [kept.name]
    assert await loaded_ids(pool) == ids(2)
