"""The journal (db/journal.py), its replay (db/durable.py) and the retry policy
(db/retry.py), with a PostgreSQL stand-in that can be "away": order, exactly once,
what may wait and what is refused."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from agent_state.durability import may_journal
from agent_state.model import (
    Answered,
    CallEnded,
    ForceBusy,
    GoBusy,
    GoIdle,
    Missed,
    Offered,
    PhoneLost,
    SignIn,
    SignOut,
    Source,
    WrapUpExpired,
)
from db.durable import JOURNALLED, DurableWrites
from db.errors import DatabaseUnavailable
from db.journal import Arg, Journal
from db.retry import Backoff

AT = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("failures", "delay"), [(0, 0.0), (1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 5.0), (999, 5.0)]
)
def test_backoff_doubles_up_to_its_cap(failures: int, delay: float) -> None:
    assert Backoff(0.5, 5.0).delay(failures) == delay


def test_backoff_refuses_a_policy_that_never_waits() -> None:
    with pytest.raises(ValueError, match="backoff"):
        Backoff(0.0, 5.0)


@pytest.mark.parametrize(
    ("event", "waits"),
    [
        (Offered(linkedid="1.1"), True),
        (Answered(linkedid="1.1"), True),
        (CallEnded(wrap_up_s=30), True),
        (Missed(), True),
        (WrapUpExpired(deadline=AT), True),
        (PhoneLost(), True),
        (ForceBusy(source=Source.SYSTEM), True),
        (SignOut(source=Source.SYSTEM), True),  # the schedule's sign-out: the clock's
        (SignIn(source=Source.WEB), False),
        (SignIn(source=Source.PHONE), False),
        (GoIdle(source=Source.WEB), False),
        (GoBusy(source=Source.PHONE), False),
    ],
)
def test_what_may_wait_in_the_journal(event: Any, waits: bool) -> None:
    assert may_journal(event) is waits


def test_the_journal_keeps_order_and_values_across_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    journal = Journal(path)
    for i in range(3):
        journal.append("k", (f"a{i}", i, 1.5, True, None, AT))
    journal.close()  # as after kill -9: what append returned is on disk
    again = Journal(path)
    pending = again.pending()
    assert [e.args for e in pending] == [(f"a{i}", i, 1.5, True, None, AT) for i in range(3)]
    assert again.depth == 3 and len({e.id for e in pending}) == 3
    again.done(pending[0])
    assert [e.args[0] for e in again.pending()] == ["a1", "a2"] and again.depth == 2


class _Conn:
    def __init__(self, db: _Postgres) -> None:
        self.db = db

    async def __aenter__(self) -> _Conn:
        if self.db.away:
            raise DatabaseUnavailable("away")
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    def transaction(self) -> _Conn:
        return self

    async def fetchval(self, _sql: str, entry_id: str, _kind: str) -> str | None:
        if entry_id in self.db.applied:
            return None
        self.db.applied.add(entry_id)
        return entry_id


class _Postgres:
    """A stand-in pool: a list of rows, an ``applied_journal`` set, and an off switch
    (away, it raises what ``db.errors.unavailable`` turns asyncpg's failures into)."""

    def __init__(self) -> None:
        self.rows: list[tuple[Arg, ...]] = []
        self.applied: set[str] = set()
        self.away = False

    def acquire(self) -> _Conn:
        return _Conn(self)

    async def fetchval(self, _sql: str, *, timeout: float) -> int:
        """``SELECT 1``: answered unless the database is away."""
        if self.away:
            raise ConnectionRefusedError("refused")
        return 1


def _writer(db: _Postgres) -> Any:
    async def write(_conn: Any, args: Sequence[Arg]) -> bool:
        if db.away:
            raise DatabaseUnavailable("away")
        db.rows.append(tuple(args))
        return True

    return write


async def test_writes_wait_in_order_and_are_replayed_exactly_once(tmp_path: Path) -> None:
    db = _Postgres()
    writes = DurableWrites(db, Journal(tmp_path / "j.sqlite3"), {"t": _writer(db)})
    assert await writes.write("t", ("1",), may_journal=True) is True
    db.away = True
    assert await writes.write("t", ("2",), may_journal=True) is JOURNALLED
    with pytest.raises(DatabaseUnavailable):  # a person's request: refused, not journalled
        await writes.write("t", ("person",), may_journal=False)
    db.away = False
    # the journal is not empty: a write that may wait goes behind it, never ahead
    assert await writes.write("t", ("3",), may_journal=True) is JOURNALLED
    assert db.rows == [("1",)]
    assert await writes.drain()
    assert db.rows == [("1",), ("2",), ("3",)] and writes.replayed == 2 and writes.depth == 0
    # a person's request after an outage replays what waits first, then is written
    db.away = True
    await writes.write("t", ("4",), may_journal=True)
    db.away = False
    assert await writes.write("t", ("5",), may_journal=False) is True
    assert db.rows[-2:] == [("4",), ("5",)]


async def test_an_entry_postgres_already_applied_is_not_written_again(tmp_path: Path) -> None:
    """Killed between PostgreSQL's commit and the journal's delete: the replay finds the
    id claimed and writes nothing."""
    db = _Postgres()
    journal = Journal(tmp_path / "j.sqlite3")
    entry = journal.append("t", ("once",))
    db.applied.add(entry.id)
    writes = DurableWrites(db, journal, {"t": _writer(db)})
    assert await writes.drain()
    assert db.rows == [] and journal.depth == 0


async def test_a_write_broken_by_a_server_going_away_is_journalled_not_dropped(
    tmp_path: Path,
) -> None:
    """A server shutting down under a query can leave asyncpg in a state it reports as
    its own error (seen: a call record lost so). The database not answering SELECT 1
    then says it is away: the write waits in the journal. If it answers, the failure
    was the write's own and is raised."""
    db = _Postgres()
    writes = DurableWrites(db, Journal(tmp_path / "j.sqlite3"), {"t": _broken(db)})
    db.away = True  # the write's error is not one unavailable() knows; SELECT 1 fails
    assert await writes.write("t", ("cut",), may_journal=True) is JOURNALLED
    db.away = False
    with pytest.raises(asyncpg.InternalClientError):
        await DurableWrites(db, None, {"t": _broken(db)}).write("t", ("bug",), may_journal=True)


def _broken(db: _Postgres) -> Any:
    async def write(_conn: Any, _args: Sequence[Arg]) -> bool:
        raise asyncpg.InternalClientError("cannot switch to state 11; another operation")

    return write
