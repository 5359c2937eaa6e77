"""The durable local journal: database writes that wait for PostgreSQL, in order.

While PostgreSQL is away, the writes the service must not lose (an agent's transition
caused by Asterisk or the clock, a finished call record) are appended here and later
replayed into PostgreSQL by ``db/durable.py``, oldest first, exactly once.

SQLite from the standard library, not an append-only file of our own: one file, an
``INTEGER PRIMARY KEY`` that orders the entries, atomic commits that are fsync'd before
``append`` returns (WAL, ``synchronous=FULL``), and deleting a replayed entry is one
statement; a torn last line, partial writes and compaction — what an append-only file
would make us handle — are SQLite's problem, tested far beyond ours.

Each entry has an id (a UUID) that PostgreSQL remembers once the entry is applied
(``applied_journal``), so a replay interrupted between PostgreSQL's commit and our
delete, or done by another instance with the same journal, writes nothing twice.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

# what a journalled statement's parameters may be: JSON values, and datetimes
Arg = str | int | float | bool | datetime | None

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    id   TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    args TEXT NOT NULL,
    at   REAL NOT NULL
)
"""


@dataclass(frozen=True)
class Entry:
    seq: int
    id: str
    kind: str
    args: tuple[Arg, ...]
    at: float  # when it was journalled, seconds since the epoch


def encode(args: Sequence[Arg]) -> str:
    def one(value: Arg) -> Any:
        if isinstance(value, datetime):
            return {"datetime": value.isoformat()}
        return value

    return json.dumps([one(a) for a in args], ensure_ascii=False)


def decode(text: str) -> tuple[Arg, ...]:
    def one(value: Any) -> Arg:
        if isinstance(value, dict):
            return datetime.fromisoformat(value["datetime"])
        return value  # type: ignore[no-any-return]

    return tuple(one(v) for v in json.loads(text))


class Journal:
    """Entries in the order they were appended; each survives a crash once appended."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.clock = clock
        # autocommit: every statement is its own transaction, committed (and, with
        # synchronous=FULL, fsync'd) before it returns
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)
        self._depth = self._count()

    def _count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM entries").fetchone()[0])

    def append(self, kind: str, args: Sequence[Arg]) -> Entry:
        entry_id = uuid.uuid4().hex
        at = self.clock()
        cursor = self._db.execute(
            "INSERT INTO entries (id, kind, args, at) VALUES (?, ?, ?, ?)",
            (entry_id, kind, encode(args), at),
        )
        self._depth += 1
        return Entry(int(cursor.lastrowid or 0), entry_id, kind, tuple(args), at)

    def pending(self, limit: int = 100) -> list[Entry]:
        """The oldest ``limit`` entries not yet replayed, oldest first."""
        rows = self._db.execute(
            "SELECT seq, id, kind, args, at FROM entries ORDER BY seq LIMIT ?", (limit,)
        ).fetchall()
        return [Entry(seq, id_, kind, decode(args), at) for seq, id_, kind, args, at in rows]

    def done(self, entry: Entry) -> None:
        """The entry is in PostgreSQL: forget it."""
        deleted = self._db.execute("DELETE FROM entries WHERE id = ?", (entry.id,)).rowcount
        self._depth = max(self._depth - deleted, 0)

    @property
    def depth(self) -> int:
        return self._depth

    def oldest_age_s(self) -> float | None:
        row = self._db.execute("SELECT min(at) FROM entries").fetchone()
        return None if row[0] is None else max(self.clock() - float(row[0]), 0.0)

    def close(self) -> None:
        self._db.close()
