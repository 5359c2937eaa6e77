"""An escalation's details added after it was made: pure, no I/O.

A desk-phone escalation (``*5`` during a call, ``*31`` after) carries no category and no
question; the agent adds them through the API (a second ``POST
/api/callbacks/escalations`` for the same call). That is not a step in the callback's
life (its state stays what it is), so it is no transition of ``callback/model.py``'s
table: it is a change of fields, made under the row lock by ``repo.amend`` with one
history row per field changed. A closed callback (done, failed, cancelled) is not
changed.

The due time: one the caller gives is taken; otherwise, when the callback's due time
came from the default working days (``due_by_default``) and a category is set, it
follows that category's configured days (``due_for``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from callback.model import FINAL_STATES, Callback
from core.errors import HotlineError


class CallbackClosed(HotlineError):
    """A done, failed or cancelled callback keeps what it had."""

    code = "callback.closed"


@dataclass(frozen=True)
class Amendment:
    """What the agent adds; ``None``: left as it is."""

    category: str | None = None
    question: str | None = None
    department: str | None = None
    due_at: datetime | None = None  # given by the person; None: the rule above


@dataclass(frozen=True)
class Change:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Amended:
    callback: Callback
    changes: tuple[Change, ...]
    due_by_default: bool  # still from the default after this


FIELDS = ("category", "question", "department", "due_at")


def amend(
    callback: Callback,
    amendment: Amendment,
    *,
    due_by_default: bool,
    due_for: Callable[[str], datetime],
    now: datetime,
) -> Amended:
    """``callback`` with ``amendment``'s fields; ``changes`` empty when nothing differs."""
    if callback.state in FINAL_STATES:
        raise CallbackClosed(
            f"callback {callback.id} is {callback.state.value}: a closed callback is not"
            " changed (open a new one, e.g. a return visit)",
            callback=str(callback.id),
            state=callback.state.value,
        )
    wanted: dict[str, Any] = {
        "category": amendment.category,
        "question": amendment.question,
        "department": amendment.department,
        "due_at": amendment.due_at,
    }
    still_default = due_by_default
    if amendment.due_at is not None:
        still_default = False
    elif due_by_default and amendment.category is not None:
        wanted["due_at"] = due_for(amendment.category)
        still_default = False
    changes = tuple(
        Change(name, getattr(callback, name), value)
        for name, value in wanted.items()
        if value is not None and value != getattr(callback, name)
    )
    if not changes:
        return Amended(callback, (), still_default)
    after = dataclasses.replace(callback, updated_at=now, **{c.field: c.after for c in changes})
    return Amended(after, changes, still_default)
