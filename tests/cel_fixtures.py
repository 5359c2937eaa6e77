"""Real CEL rows of callback attempts, recorded from the sandbox (tests/fixtures/cel/).

Each file holds one attempt's rows as Asterisk's cel_pgsql wrote them (the ``cel``
table's columns but its id, in ``(eventtime, id)`` order) and the attempt id they were
recorded under; ``as_attempt`` puts them under another attempt id (the linkedid, the
``;1`` half's uniqueid and the ``;2`` half's ``<attempt>-q``), so a test can hand them to
a claim of its own.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from calls.cel import CelRow

FIXTURES = Path(__file__).parent / "fixtures" / "cel"
# what a call rebuilt from CEL has as the live recorder wrote it: these fields equal, these
# times within a few ms (and the outcome, who hung up, the menu path and its language)
REBUILT_FIELDS = (
    "linkedid",
    "caller_number",
    "caller_name",
    "entry_number",
    "queue",
    "agent_job_number",
    "plan_version",
    "ended_node",
)
REBUILT_TIMES = (
    "entered_at",
    "greeting_done_at",
    "queue_joined_at",
    "agent_offered_at",
    "agent_answered_at",
    "ended_at",
)
INBOUND = "inbound-answered"
COLUMNS = (
    "eventtype",
    "eventtime",
    "uniqueid",
    "linkedid",
    "channame",
    "context",
    "exten",
    "cid_num",
    "cid_name",
    "appname",
    "appdata",
    "userdeftype",
    "peer",
    "extra",
)
INSERT = (
    "INSERT INTO cel (eventtype, eventtime, uniqueid, linkedid, channame, context, exten,"
    " cid_num, cid_name, appname, appdata, userdeftype, peer, extra)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
)


def recorded(name: str, attempt: str | None = None) -> list[dict[str, Any]]:
    """The rows of ``<name>.json`` (eventtime a naive UTC datetime, as in the table); an
    inbound call's file is keyed by its linkedid, a callback attempt's by its id."""
    data = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    original: str = data.get("attempt", data.get("linkedid"))
    rows: list[dict[str, Any]] = []
    for raw in data["rows"]:
        row = {k: raw[k] for k in COLUMNS}
        row["eventtime"] = datetime.fromisoformat(raw["eventtime"])
        if attempt is not None:
            for key in ("uniqueid", "linkedid"):
                row[key] = row[key].replace(original, attempt)
        rows.append(row)
    return rows


def cel_rows(name: str) -> list[CelRow]:
    """The rows as ``calls.repo.cel_rows`` reads them."""
    return [
        CelRow(
            **{k: ("" if v is None else v) for k, v in row.items() if k != "eventtime"},
            eventtime=row["eventtime"].replace(tzinfo=UTC),
            seq=seq,
        )
        for seq, row in enumerate(recorded(name), start=1)
    ]


async def insert(conn: Any, rows: list[dict[str, Any]]) -> None:
    """Into the ``cel`` table, as cel_pgsql would."""
    await conn.executemany(INSERT, [tuple(row[k] for k in COLUMNS) for row in rows])


def inbound_call(n: int, start: datetime, name: str = INBOUND) -> list[dict[str, Any]]:
    """A recorded inbound call (by default ``inbound-answered.json``: 12333 → greeting →
    queue → agent 1001 answered, the agent hung up) as call number ``n``: every
    channel's uniqueid (and so the linkedid, and a uniqueid named in ``extra``) made its
    own, the times moved to begin at ``start`` (naive UTC, as in the table)."""
    data = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    ids = {raw["uniqueid"] for raw in data["rows"]}
    rows: list[dict[str, Any]] = []
    first: datetime | None = None
    for raw in data["rows"]:
        row = {k: raw[k] for k in COLUMNS}
        at = datetime.fromisoformat(raw["eventtime"])
        first = first or at
        row["eventtime"] = start + (at - first)
        for key in ("uniqueid", "linkedid"):
            row[key] = f"{row[key]}-{n}"
        for uniqueid in ids:
            row["extra"] = row["extra"].replace(f'"{uniqueid}"', f'"{uniqueid}-{n}"')
        rows.append(row)
    return rows


def inbound_linkedid(n: int, name: str = INBOUND) -> str:
    data = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return f"{data['linkedid']}-{n}"
