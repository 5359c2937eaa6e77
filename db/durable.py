"""Writes that survive PostgreSQL going away: straight to PostgreSQL, else to the journal.

``DurableWrites.write`` runs one named write (``kind``, a repository function taking a
connection and its parameters). When PostgreSQL does not answer and the caller says the
write may wait (``may_journal``: an Asterisk fact or the clock, decided in
``agent_state.durability``), the write is appended to the local journal
(``db/journal.py``) and the caller goes on as if it were stored; otherwise
``DatabaseUnavailable`` (``db.unavailable``, a 503) is raised and nothing is done.

Order: while the journal holds entries, a write that may wait is appended behind them,
and one that may not first replays them (or is refused): no write ever overtakes an
older one. The replayer replays oldest first, retrying with ``db.retry.Backoff`` until
the journal is empty; each entry is applied in one PostgreSQL transaction with its id
claimed in ``applied_journal``, so it is applied exactly once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from core.logging import get_logger
from core.tasks import cancel_and_wait
from db.errors import DatabaseUnavailable, unavailable
from db.journal import Arg, Entry, Journal
from db.retry import Backoff
from db.sql import load_queries

log = get_logger("db.journal")

_Q = load_queries("db")

# a repository write: a connection (or the pool) and the statement's parameters
Writer = Callable[[Any, Sequence[Arg]], Awaitable[object]]


PROBE_TIMEOUT_S = 2.0  # how long SELECT 1 may take before the database counts as away


class Journalled:
    """What ``write`` returns for a write that waits in the journal."""

    def __repr__(self) -> str:
        return "JOURNALLED"


JOURNALLED = Journalled()


class DurableWrites:
    def __init__(
        self,
        pool: Any,
        journal: Journal | None,
        writers: Mapping[str, Writer],
        *,
        backoff: Backoff | None = None,
    ) -> None:
        self.pool = pool
        self.journal = journal
        self.writers = dict(writers)
        self.backoff = backoff or Backoff()
        self.replayed = 0  # entries written to PostgreSQL from the journal
        self.failures = 0  # failed replay attempts in a row
        self.db_away = False  # the last write or replay found PostgreSQL away
        self._drain_lock = asyncio.Lock()
        self._kicked = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def depth(self) -> int:
        return self.journal.depth if self.journal is not None else 0

    def oldest_age_s(self) -> float | None:
        return self.journal.oldest_age_s() if self.journal is not None else None

    # ---- writing ----------------------------------------------------------------------------

    async def write(self, kind: str, args: Sequence[Arg], *, may_journal: bool) -> object:
        """The writer's result, or ``JOURNALLED``; ``DatabaseUnavailable`` if it may not wait."""
        if self.depth:  # older writes wait: this one must not overtake them
            if may_journal:
                return self._append(kind, args)
            if not await self.drain():
                raise DatabaseUnavailable("the database is not available; try again shortly")
        try:
            result = await self.writers[kind](self.pool, args)
        except Exception as exc:
            gone = unavailable(exc) or await self._not_answering(exc)
            if gone is None:
                raise
            self.db_away = True
            if not may_journal or self.journal is None:
                raise gone from exc
            return self._append(kind, args)
        self.db_away = False
        return result

    async def _not_answering(self, exc: Exception) -> DatabaseUnavailable | None:
        """A write failed in a way ``unavailable`` does not recognise — asyncpg's own
        state broken by a server shutting down under the query, say
        (``InternalClientError: cannot switch to state …``). If PostgreSQL does not even
        answer ``SELECT 1`` now, it is away, not our query: the write may wait. If it
        answers, the failure was the write's own (a bug), and is raised."""
        try:
            await self.pool.fetchval(_Q["ping"], timeout=PROBE_TIMEOUT_S)
        except Exception:  # any failure of a bare SELECT 1 says the database is away
            away = DatabaseUnavailable("the database is not available; try again shortly")
            away.__cause__ = exc
            return away
        return None

    def _append(self, kind: str, args: Sequence[Arg]) -> Journalled:
        assert self.journal is not None
        entry = self.journal.append(kind, args)
        log.warning("database away: write journalled", kind=kind, entry=entry.id, depth=self.depth)
        self._kicked.set()
        return JOURNALLED

    # ---- replaying --------------------------------------------------------------------------

    async def drain(self) -> bool:
        """Replay the journal, oldest first; True once it is empty, False if PostgreSQL
        is away. Any other failure (a bug) is raised, and the entry stays."""
        if self.journal is None:
            return True
        async with self._drain_lock:
            while batch := self.journal.pending():
                for entry in batch:
                    try:
                        await self._replay(entry)
                    except Exception as exc:
                        if unavailable(exc) is None:
                            raise
                        self.db_away = True
                        return False
                    self.journal.done(entry)
                    self.replayed += 1
            self.db_away = False
            return True

    async def _replay(self, entry: Entry) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            if await conn.fetchval(_Q["claim_journal_entry"], entry.id, entry.kind) is not None:
                await self.writers[entry.kind](conn, entry.args)

    async def drain_until_empty(self, timeout: float) -> bool:
        """At start-up: replay with backoff until empty or ``timeout`` has passed."""
        deadline = time.monotonic() + timeout
        failures = 0
        while True:
            try:
                if await self.drain():
                    return True
            except Exception:
                log.exception("journal entry not replayed; will retry")
            failures += 1
            pause = self.backoff.delay(failures)
            if time.monotonic() + pause > deadline:
                return False
            await asyncio.sleep(pause)

    def start(self) -> None:
        """The replayer: whenever entries wait, replay them with backoff until none do."""
        if self.journal is not None and self._task is None:
            self._task = asyncio.create_task(self._run(), name="journal-replay")
            if self.depth:
                self._kicked.set()

    async def _run(self) -> None:
        while True:
            await self._kicked.wait()
            self._kicked.clear()
            self.failures = 0
            while self.depth:
                try:
                    done = await self.drain()
                except Exception:
                    log.exception("journal entry not replayed; will retry")
                    done = False
                if done:
                    break
                self.failures += 1
                await asyncio.sleep(self.backoff.delay(self.failures))
            if self.replayed:
                log.info("journal replayed", replayed=self.replayed, depth=self.depth)

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)
