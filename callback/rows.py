"""Callbacks to and from their rows (``callback/queries.sql``'s columns); no I/O."""

from __future__ import annotations

import dataclasses
import enum
import json
import uuid
from datetime import datetime
from typing import Any

from callback.model import Callback, Event, Kind, Outcome, Reason, State


def reason_from_row(row: Any) -> Reason:
    return Reason(
        kind=Kind(row["kind"]),
        at=row["at"],
        msg_id=row["msg_id"],
        linkedid=row["linkedid"],
        queue_joined_at=row["queue_joined_at"],
    )


def reason_from_json(item: dict[str, Any]) -> Reason:
    def when(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    at = when(item["at"])
    assert at is not None
    return Reason(
        kind=Kind(item["kind"]),
        at=at,
        msg_id=item["msg_id"],
        linkedid=item["linkedid"],
        queue_joined_at=when(item["queue_joined_at"]),
    )


def callback_from_row(row: Any, reasons: tuple[Reason, ...] = ()) -> Callback:
    return Callback(
        id=row["id"],
        kind=Kind(row["kind"]),
        state=State(row["state"]),
        number=row["number"],
        created_at=row["created_at"],
        priority_at=row["priority_at"],
        not_before=row["not_before"],
        due_at=row["due_at"],
        owner=row["owner"],
        category=row["category"],
        question=row["question"],
        department=row["department"],
        linked_to=row["linked_to"],
        reasons=reasons,
        attempts=row["attempts"],
        lease_until=row["lease_until"],
        attempt_id=row["attempt_id"],
        agent=row["agent"],
        outcome=Outcome(row["outcome"]) if row["outcome"] else None,
        note=row["note"],
        updated_at=row["updated_at"],
        owner_since=row["owner_since"],
    )


def columns(cb: Callback) -> tuple[Any, ...]:
    """``update_callback``'s $2..$20 (``insert_callback`` adds created_at)."""
    return (
        cb.kind.value,
        cb.state.value,
        cb.number,
        cb.priority_at,
        cb.not_before,
        cb.due_at,
        cb.owner,
        cb.category,
        cb.question,
        cb.department,
        cb.linked_to,
        cb.attempts,
        cb.lease_until,
        cb.attempt_id,
        cb.agent,
        cb.outcome.value if cb.outcome else None,
        cb.note,
        cb.updated_at,
        cb.owner_since,
    )


def json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"not JSON: {value!r}")


def event_detail(event: Event) -> str:
    fields: dict[str, Any] = {}
    if dataclasses.is_dataclass(event) and not isinstance(event, type):
        fields = dataclasses.asdict(event)
    return json.dumps(fields, default=json_value, ensure_ascii=False)


def insert_columns(cb: Callback) -> tuple[Any, ...]:
    """``insert_callback``'s $2..$21."""
    kind, state, number, *rest = columns(cb)
    return (kind, state, number, cb.created_at, *rest)
