"""Asterisk's CEL file, read: a pure function from bytes to ``cel`` rows, no I/O.

Asterisk's ``cel_custom`` appends one CSV record a CEL row to the spool file
(``asterisk_conf/templates/cel_custom.conf.j2``: every field quoted, a quote doubled,
the fields ``names.CEL_SPOOL_FIELDS``), each record one ``write`` ending in a newline.
``parse`` takes the bytes read so far and says which rows they hold, which records are
beyond repair (kept as they were, never dropped: ``Reject``) and how many bytes it used:
a record not yet complete — the end of a write still to come, or a newline inside a
quoted value — is left for the next read, so a Chinese name or a record split across
two reads is taken whole. A newline byte never occurs inside a UTF-8 character, so a
record ends only at a newline outside quotes.

A row is the ``cel`` table's columns in ``COLUMNS`` order, as ``cel_pgsql`` wrote them:
empty text as ``''``, ``eventtime`` UTC without a zone, ``amaflags`` an integer. A row
PostgreSQL would refuse (a NUL, a time or number out of its range) is a ``Reject``
here: one bad row must not stop the loading of every row after it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core import names

COLUMNS = tuple(column for _, column in names.CEL_SPOOL_FIELDS)
_EVENTTIME = COLUMNS.index("eventtime")
_AMAFLAGS = COLUMNS.index("amaflags")
_EPOCH = datetime(1970, 1, 1)
# a record longer than this is not one of Asterisk's (a few hundred bytes): an unbalanced
# quote would otherwise swallow every record after it
MAX_RECORD_BYTES = 64 * 1024
MAX_INTEGER = 2**31 - 1  # the cel table's amaflags column

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Reject:
    """Bytes of the file that are no CEL row, kept as they were and why."""

    offset: int  # from the start of what was parsed
    raw: bytes
    reason: str


@dataclass(frozen=True)
class Parsed:
    rows: tuple[Row, ...]
    rejects: tuple[Reject, ...]
    consumed: int  # bytes used; what follows is an unfinished record


def parse(data: bytes, *, final: bool = False) -> Parsed:
    """The rows in ``data``; with ``final`` (nothing more will be written) an unfinished
    record at the end is a ``Reject`` too, so every byte is used."""
    rows: list[Row] = []
    rejects: list[Reject] = []
    start = 0
    while start < len(data):
        end = _record_end(data, start)
        if end is None and not final:
            break
        if end is None and b"\n" not in data[start:]:
            rejects.append(Reject(start, data[start:], "unfinished record at the end"))
            start = len(data)
            break
        if end is None or end < 0:
            # unbalanced quotes: give up on the first line alone, read on after it
            end = data.index(b"\n", start) + 1
            rejects.append(Reject(start, data[start:end], "unbalanced quotes"))
            start = end
            continue
        record = data[start:end]
        try:
            rows.append(row_from_record(record))
        except ValueError as exc:
            rejects.append(Reject(start, record, str(exc)))
        start = end
    return Parsed(tuple(rows), tuple(rejects), start)


def _record_end(data: bytes, start: int) -> int | None:
    """Just past the newline that ends the record starting at ``start``; None if it has
    not ended yet; -1 if its quotes are still open past ``MAX_RECORD_BYTES`` (a stray
    quote). Inside quotes a newline is part of a value (a doubled quote opens and
    closes, so counting quotes is enough)."""
    quotes = 0
    pos = start
    while True:
        newline = data.find(b"\n", pos)
        if newline < 0:
            return None
        quotes += data.count(b'"', pos, newline)
        if quotes % 2 == 0:
            return newline + 1
        if newline + 1 - start > MAX_RECORD_BYTES:
            return -1
        pos = newline + 1


def row_from_record(record: bytes) -> Row:
    """One record (with its newline) as a ``cel`` row; ValueError says why it is none."""
    try:
        text = record.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 at byte {exc.start}") from None
    if "\x00" in text:
        raise ValueError("a NUL character (PostgreSQL's text cannot hold it)")
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise ValueError(f"not a CSV record: {exc}") from None
    if len(records) != 1:
        raise ValueError(f"{len(records)} CSV records, not one")
    fields = records[0]
    if len(fields) != len(COLUMNS):
        raise ValueError(f"{len(fields)} fields, not {len(COLUMNS)}")
    if not fields[0]:
        raise ValueError("no event type")
    values: list[Any] = list(fields)
    values[_EVENTTIME] = _eventtime(fields[_EVENTTIME])
    amaflags = fields[_AMAFLAGS]
    values[_AMAFLAGS] = int(amaflags) if amaflags.isascii() and amaflags.isdigit() else None
    if values[_AMAFLAGS] is not None and values[_AMAFLAGS] > MAX_INTEGER:
        raise ValueError(f"amaflags {amaflags[:20]} is past PostgreSQL's integer")
    return tuple(values)


def _eventtime(text: str) -> datetime:
    """``<epoch seconds>.<microseconds>`` as UTC without a zone, to the microsecond."""
    seconds, _, micros = text.partition(".")
    if not (text.isascii() and seconds.isdigit() and micros.isdigit() and len(micros) == 6):
        raise ValueError(f"event time {text[:40]!r} is not <seconds>.<microseconds>")
    try:
        return _EPOCH + timedelta(seconds=int(seconds), microseconds=int(micros))
    except OverflowError:
        raise ValueError(f"event time {text[:40]!r} is past the year 9999") from None
