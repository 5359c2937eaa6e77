"""Callbacks in PostgreSQL: the SQL lives in ``queries.sql``.

Every change is one transaction that writes the row and appends to
``callback_history`` (append-only). Claims use ``FOR UPDATE SKIP LOCKED``; a NOTIFY on
``CHANNEL`` wakes the dispatchers when a callback becomes dispatchable.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from callback.model import AttemptResult, Callback, Event, Kind, Request, State
from core.actor import Actor

CHANNEL = "hotline_callbacks"  # LISTEN/NOTIFY: a callback may be dispatchable


@dataclass(frozen=True)
class Opened:
    callback: Callback
    created: bool  # False: merged into (or the same request already made) ``callback``
    merged: bool = False
    linked_to: uuid.UUID | None = None


@dataclass(frozen=True)
class Claim:
    callback: Callback  # now dispatching, with a fresh attempt_id and lease
    previous_attempt_id: str | None  # a crashed claim's attempt: check Asterisk first


@dataclass(frozen=True)
class Filter:
    state: State | None = None
    kind: Kind | None = None
    owner: str | None = None
    number: str | None = None
    overdue_at: datetime | None = None  # only those overdue at this time
    limit: int = 100


async def open_callback(pool: Any, request: Request, now: datetime) -> Opened:
    """One transaction: merge into an ownerless live callback for the number, link to an
    owned one, or create; idempotent per voicemail msg_id and per call and kind."""
    raise NotImplementedError


async def claim(
    pool: Any, dispatcher: str, now: datetime, lease_s: float, limit: int
) -> list[Claim]:
    """Claim up to ``limit`` dispatchable callbacks (open and due, or dispatching with an
    expired lease), earliest ``priority_at`` first; each exactly once across dispatchers."""
    raise NotImplementedError


async def renew(pool: Any, attempt_ids: list[str], lease_until: datetime) -> int:
    """Extend the leases of the attempts still alive; returns how many were renewed."""
    raise NotImplementedError


async def apply(
    pool: Any,
    callback_id: uuid.UUID,
    event: Event,
    now: datetime,
    actor: Actor | None = None,
    *,
    attempt_id: str | None = None,
) -> Callback:
    """Step the callback (``model.step``) under a row lock, write it and its history.
    With ``attempt_id``: only if it is still that attempt (a late event changes nothing:
    raises ``StaleAttempt``)."""
    raise NotImplementedError


async def attempt_started(
    pool: Any, callback_id: uuid.UUID, attempt_id: str, started_at: datetime
) -> None:
    raise NotImplementedError


async def attempt_ended(
    pool: Any,
    attempt_id: str,
    ended_at: datetime,
    result: AttemptResult,
    *,
    agent: str | None = None,
    cause: str | None = None,
) -> None:
    raise NotImplementedError


async def get(pool: Any, callback_id: uuid.UUID) -> Callback | None:
    raise NotImplementedError


async def by_attempt(pool: Any, attempt_id: str) -> Callback | None:
    raise NotImplementedError


async def listing(pool: Any, where: Filter) -> list[Callback]:
    raise NotImplementedError


async def history(pool: Any, callback_id: uuid.UUID) -> list[dict[str, Any]]:
    raise NotImplementedError


async def attempts(pool: Any, callback_id: uuid.UUID) -> list[dict[str, Any]]:
    raise NotImplementedError


async def figures(pool: Any, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Per day and kind: opened, done, overdue, failed, attempts per callback."""
    raise NotImplementedError


async def open_counts(pool: Any, now: datetime) -> dict[str, Any]:
    """For /metrics: live callbacks by kind and state, overdue."""
    raise NotImplementedError
