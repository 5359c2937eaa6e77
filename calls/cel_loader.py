"""Asterisk's CEL file into the ``cel`` table: the loader that runs beside Asterisk.

Asterisk appends every CEL row to ``<spool>/cel.csv`` (``cel_custom``; before, it made
one INSERT a row through ``cel_pgsql``, inside its one CEL thread, which fell behind
first under load: README "Capacity"). Every ``every_s`` the loader

1. moves ``cel.csv`` aside as ``cel-<nanoseconds>.csv`` (Asterisk opens the file for
   each row, so its next row starts a new ``cel.csv``); names are never reused;
2. loads each moved-aside file from where it stopped: in one transaction the file's
   ``cel_spool_files`` row is locked, the new complete records are COPYed into ``cel``
   (``calls.cel_spool.parse``) and the row says how many bytes are loaded — stopped
   anywhere, or beside a second loader, every byte is loaded exactly once;
3. deletes a file that is loaded to its end and has not been written for ``keep_s``: a
   row Asterisk was still writing when the file was moved aside is loaded meanwhile.

What is no CEL row is kept in ``cel_spool_rejects`` with the reason, never dropped.
While PostgreSQL is away the files wait in the spool, and are loaded when it is back;
so while this loader (``hotline cel-load``) is stopped. Rows keep Asterisk's order
(``cel.id``), which the readers use to break ties in ``eventtime``.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from calls.cel_spool import COLUMNS, parse
from core import names
from core.errors import ConfigError, DatabaseError
from core.logging import get_logger
from db.sql import load_queries

Q = load_queries("calls")
log = get_logger("calls.cel_loader")

MOVED_PREFIX = "cel-"
MOVED_SUFFIX = ".csv"
CHUNK_BYTES = 4 << 20  # read and COPY at most this much in one transaction
SUMMARY_EVERY_S = 60.0

Connect = Callable[[], Awaitable[asyncpg.Connection]]


@dataclass
class Totals:
    rows: int = 0
    rejects: int = 0
    files_removed: int = 0


class CelLoader:
    def __init__(
        self,
        connect: Connect,
        spool: Path,
        *,
        every_s: float = 0.5,
        keep_s: float = 60.0,
        chunk_bytes: int = CHUNK_BYTES,
    ) -> None:
        if every_s <= 0:
            raise ConfigError(f"cel_load_every_s={every_s} must be more than 0")
        if keep_s < 0:
            raise ConfigError(f"cel_spool_keep_s={keep_s} must not be negative")
        self.connect = connect
        self.spool = spool
        self.every_s = every_s
        self.keep_s = keep_s
        self.chunk_bytes = chunk_bytes
        self.totals = Totals()
        self._conn: asyncpg.Connection | None = None
        self._loaded: dict[str, int] = {}  # file name -> bytes loaded, as last seen
        self._forgot_stale = False
        self._failing = False

    @property
    def active(self) -> Path:
        return self.spool / names.CEL_SPOOL_FILE

    async def run(self) -> None:
        """Load until cancelled; an outage is logged once and waited out."""
        next_summary = time.monotonic() + SUMMARY_EVERY_S
        reported = Totals()
        try:
            while True:
                try:
                    await self.tick()
                    if self._failing:
                        log.info("cel loading again")
                        self._failing = False
                except (
                    OSError,
                    asyncpg.PostgresError,
                    asyncpg.InterfaceError,
                    DatabaseError,
                ) as exc:
                    await self._drop_connection()
                    if not self._failing:
                        log.warning("cel not loaded; the files wait in the spool", error=str(exc))
                        self._failing = True
                if time.monotonic() >= next_summary:
                    next_summary += SUMMARY_EVERY_S
                    self._summary(reported)
                    reported = Totals(**vars(self.totals))
                await asyncio.sleep(self.every_s)
        finally:
            await self._drop_connection()

    async def tick(self) -> None:
        """One round: move the file aside, load what is new, delete what is done."""
        conn = await self._connection()
        if not self._forgot_stale:
            await self._forget_stale(conn)
            self._forgot_stale = True
        self.move_aside()
        for path in self.moved_aside():
            await self._load(conn, path)

    def move_aside(self) -> Path | None:
        try:
            if self.active.stat().st_size == 0:
                return None
            target = self.spool / f"{MOVED_PREFIX}{time.time_ns():020d}{MOVED_SUFFIX}"
            os.rename(self.active, target)
        except FileNotFoundError:  # nothing written yet, or a second loader took it
            return None
        return target

    def moved_aside(self) -> list[Path]:
        try:
            found = [
                p
                for p in self.spool.iterdir()
                if p.name.startswith(MOVED_PREFIX) and p.name.endswith(MOVED_SUFFIX)
            ]
        except FileNotFoundError:
            return []
        return sorted(found, key=lambda p: p.name)

    def behind_bytes(self) -> int:
        """Bytes in the spool not yet in ``cel`` (as this loader last saw them)."""
        total = 0
        for path in [self.active, *self.moved_aside()]:
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                continue
            total += max(0, size - self._loaded.get(path.name, 0))
        return total

    # ---- one file -------------------------------------------------------------------------

    async def _load(self, conn: asyncpg.Connection, path: Path) -> None:
        name = path.name
        st = _stat(path)
        if st is None:
            self._loaded.pop(name, None)
            return
        quiet = st.st_mtime <= time.time() - self.keep_s  # Asterisk is done with it
        try:
            if self._loaded.get(name) != st.st_size:
                while await self._load_chunk(conn, path, final=quiet):
                    pass
            if quiet and self._loaded.get(name) == st.st_size:
                await self._remove(conn, path)
        except _Gone:
            self._loaded.pop(name, None)

    async def _load_chunk(self, conn: asyncpg.Connection, path: Path, *, final: bool) -> bool:
        """Load the next chunk in one transaction; whether a further chunk waits."""
        name = path.name
        async with conn.transaction():
            loaded = await conn.fetchval(Q["claim_cel_spool_file"], name)
            # None: removed by a second loader while this one waited for the row; the
            # row this transaction made again goes with the rollback
            read = _read(path, loaded, self.chunk_bytes)
            if read is None:
                raise _Gone
            data, size = read
            at_end = loaded + len(data) >= size
            parsed = parse(data, final=final and at_end)
            if parsed.rows:
                await conn.copy_records_to_table("cel", records=parsed.rows, columns=COLUMNS)
            for reject in parsed.rejects:
                offset = loaded + reject.offset
                await conn.execute(
                    Q["insert_cel_spool_reject"], name, offset, reject.raw, reject.reason
                )
                log.warning("cel record kept aside", file=name, offset=offset, reason=reject.reason)
            done = loaded + parsed.consumed
            await conn.execute(
                Q["cel_spool_file_loaded"], name, done, len(parsed.rows), len(parsed.rejects)
            )
        self._loaded[name] = done
        self.totals.rows += len(parsed.rows)
        self.totals.rejects += len(parsed.rejects)
        if parsed.rows:
            log.debug("cel rows loaded", file=name, rows=len(parsed.rows), bytes=done)
        return not at_end and parsed.consumed > 0

    async def _remove(self, conn: asyncpg.Connection, path: Path) -> None:
        """Delete a loaded file, then forget its row (a crash between leaves a row with no
        file, which nothing reads: names are never reused)."""
        async with conn.transaction():
            loaded = await conn.fetchval(Q["claim_cel_spool_file"], path.name)
            if not _unlink_if_size(path, loaded):
                return  # written to since (loaded next round), or gone
            await conn.execute(Q["forget_cel_spool_file"], path.name)
        self._loaded.pop(path.name, None)
        self.totals.files_removed += 1

    async def _forget_stale(self, conn: asyncpg.Connection) -> None:
        """Rows of files deleted by a loader that stopped before forgetting them. The
        rows are read before the folder: a row is only ever made for a file already
        there, so a second loader's file moved aside meanwhile is listed, not forgotten."""
        known = [record["name"] for record in await conn.fetch(Q["cel_spool_file_names"])]
        present = {p.name for p in self.moved_aside()}
        for name in known:
            if name not in present:
                await conn.execute(Q["forget_cel_spool_file"], name)

    # ---- the connection ----------------------------------------------------------------

    async def _connection(self) -> asyncpg.Connection:
        if self._conn is None or self._conn.is_closed():
            self._conn = await self.connect()
        return self._conn

    async def _drop_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            conn.terminate()

    def _summary(self, before: Totals) -> None:
        rows = self.totals.rows - before.rows
        rejects = self.totals.rejects - before.rejects
        if rows or rejects:
            log.info(
                "cel loaded",
                rows=rows,
                rejects=rejects,
                files_removed=self.totals.files_removed - before.files_removed,
                behind_bytes=self.behind_bytes(),
            )


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:
        return None


def _read(path: Path, offset: int, limit: int) -> tuple[bytes, int] | None:
    """Up to ``limit`` bytes from ``offset``, and the file's size; None if it is gone."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            fh.seek(offset)
            return fh.read(limit), size
    except FileNotFoundError:
        return None


def _unlink_if_size(path: Path, size: int) -> bool:
    """Delete ``path`` if it holds exactly ``size`` bytes (all of them loaded)."""
    st = _stat(path)
    if st is None or st.st_size != size:
        return False
    path.unlink()
    return True


class _Gone(Exception):
    """The file went while this loader waited for its row."""


async def run_loader(connect: Connect, spool: Path, every_s: float, keep_s: float) -> None:
    loader = CelLoader(connect, spool, every_s=every_s, keep_s=keep_s)
    log.info("cel loader started", spool=str(spool), every_s=every_s, keep_s=keep_s)
    await loader.run()
