"""Asterisk's CEL file read into rows (calls/cel_spool.py): whole records only, every byte
accounted for, what is no row kept aside with the reason."""

from __future__ import annotations

from datetime import datetime

import pytest

from calls.cel_spool import COLUMNS, MAX_RECORD_BYTES, parse
from core import names

HANGUP = {
    "eventenum": "HANGUP",
    "eventtime": "1796053842.012534",
    "name": "张三",
    "num": "13600000021",
    "context": "hl-v0-queue",
    "channame": "PJSIP/pstn-trunk-0000004a",
    "uniqueid": "1796053842.161",
    "linkedid": "1796053842.161",
    "amaflags": "3",
    "eventextra": '{"hangupcause":16,"hangupsource":"","dialstatus":"ANSWER"}',
}


def record(**values: str) -> bytes:
    """One record as cel_custom writes it: every field quoted, a quote doubled, a newline."""
    fields = [values.get(name, "") for name, _ in names.CEL_SPOOL_FIELDS]
    return (",".join('"' + f.replace('"', '""') + '"' for f in fields) + "\n").encode()


def column(row: tuple[object, ...], name: str) -> object:
    return row[COLUMNS.index(name)]


def test_a_record_becomes_the_row_cel_pgsql_wrote() -> None:
    parsed = parse(record(**HANGUP))
    assert parsed.rejects == () and parsed.consumed == len(record(**HANGUP))
    (row,) = parsed.rows
    assert len(row) == len(COLUMNS) == 21
    assert column(row, "eventtype") == "HANGUP"
    assert column(row, "eventtime") == datetime(2026, 11, 30, 15, 50, 42, 12534)  # UTC
    assert column(row, "cid_name") == "张三"
    assert column(row, "extra") == HANGUP["eventextra"]  # its quotes came back single
    assert column(row, "amaflags") == 3
    assert column(row, "appname") == ""  # empty text as cel_pgsql stored it
    assert column(row, "userdeftype") == ""


def test_a_user_event_keeps_its_type_and_name_apart() -> None:
    (row,) = parse(
        record(
            eventenum="USER_DEFINED",
            eventtime="1796053852.360599",
            usereventname=names.CEL_GREETING_DONE,
            eventextra='{"extra":"SUCCESS"}',
        )
    ).rows
    assert (column(row, "eventtype"), column(row, "userdeftype")) == (
        "USER_DEFINED",
        names.CEL_GREETING_DONE,
    )


@pytest.mark.parametrize("cut", range(1, 40))
def test_a_chinese_name_split_across_two_reads_is_taken_whole(cut: int) -> None:
    """The loader reads what is there; a record whose end is still to come (here cut
    inside 张三's bytes, or anywhere) is left for the next read, never half-taken."""
    data = record(**HANGUP) + record(**HANGUP)
    first = parse(data[: len(record(**HANGUP)) + cut])
    assert len(first.rows) == 1 and first.rejects == ()
    assert first.consumed == len(record(**HANGUP))
    second = parse(data[first.consumed :])
    assert len(second.rows) == 1 and second.consumed == len(record(**HANGUP))
    assert column(second.rows[0], "cid_name") == "张三"


def test_a_newline_and_quotes_inside_a_value_stay_in_it() -> None:
    name = 'say "hi"\nsecond line, still the name'
    data = record(**{**HANGUP, "name": name}) + record(**HANGUP)
    parsed = parse(data)
    assert [column(r, "cid_name") for r in parsed.rows] == [name, "张三"]
    assert parsed.consumed == len(data)
    # cut after the newline inside the quotes: the record has not ended there
    inside = data.index(b"\nsecond") + 1
    assert parse(data[:inside]).consumed == 0


def test_what_is_no_row_is_kept_aside_and_the_rows_around_it_are_loaded() -> None:
    bad_utf8 = record(**HANGUP).replace("张".encode(), b"\xff\xfe\xfd")
    nul = record(**{**HANGUP, "name": "a\x00b"})
    short = b'"HANGUP","1796053842.012534"\n'
    bad_time = record(**{**HANGUP, "eventtime": "yesterday"})
    far_time = record(**{**HANGUP, "eventtime": "99999999999999999.000000"})
    big_flags = record(**{**HANGUP, "amaflags": "99999999999"})
    no_type = record(**{**HANGUP, "eventenum": ""})
    good = record(**HANGUP)
    data = good + bad_utf8 + nul + short + bad_time + far_time + big_flags + no_type + good
    parsed = parse(data)
    assert len(parsed.rows) == 2 and parsed.consumed == len(data)
    reasons = [r.reason for r in parsed.rejects]
    assert reasons[0].startswith("not UTF-8")
    assert reasons[1].startswith("a NUL character")
    assert reasons[2] == f"2 fields, not {len(COLUMNS)}"
    assert reasons[3].startswith("event time 'yesterday'")
    assert reasons[4].endswith("is past the year 9999")
    assert reasons[5] == "amaflags 99999999999 is past PostgreSQL's integer"
    assert reasons[6] == "no event type"
    # each reject is the record's bytes exactly, at its offset
    assert [(r.offset, r.raw) for r in parsed.rejects] == [
        (data.index(raw), raw)
        for raw in (bad_utf8, nul, short, bad_time, far_time, big_flags, no_type)
    ]
    assert sum(len(r.raw) for r in parsed.rejects) + 2 * len(good) == len(data)


def test_an_unfinished_record_waits_until_the_file_is_done_then_is_kept_aside() -> None:
    data = record(**HANGUP) + record(**HANGUP)[:50]
    waiting = parse(data)
    assert (len(waiting.rows), waiting.rejects, waiting.consumed) == (1, (), len(record(**HANGUP)))
    done = parse(data, final=True)
    assert len(done.rows) == 1 and done.consumed == len(data)
    assert [(r.raw, r.reason) for r in done.rejects] == [
        (record(**HANGUP)[:50], "unfinished record at the end")
    ]


def test_a_stray_quote_costs_its_own_line_not_the_records_after_it() -> None:
    stray = b'"HANGUP","1796053842.012534","oops\n'
    good = record(**HANGUP)
    enough = stray + good * (MAX_RECORD_BYTES // len(good) + 2)
    parsed = parse(enough)  # past the longest record: the stray line alone is given up
    assert [(r.raw, r.reason) for r in parsed.rejects] == [(stray, "unbalanced quotes")]
    assert len(parsed.rows) == MAX_RECORD_BYTES // len(good) + 2
    few = stray + good * 3
    assert parse(few).consumed == 0  # a long record may still be on its way
    final = parse(few, final=True)  # the file is done: the line was no record
    assert [(r.raw, r.reason) for r in final.rejects] == [(stray, "unbalanced quotes")]
    assert len(final.rows) == 3 and final.consumed == len(few)


def test_a_long_record_with_its_quotes_closed_is_a_row() -> None:
    """Past MAX_RECORD_BYTES only an open quote is given up on, not a long value."""
    long = record(**{**HANGUP, "eventextra": "x" * (MAX_RECORD_BYTES + 10)})
    parsed = parse(long + record(**HANGUP))
    assert parsed.rejects == () and len(parsed.rows) == 2
    assert column(parsed.rows[0], "extra") == "x" * (MAX_RECORD_BYTES + 10)
