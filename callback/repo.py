"""Callbacks in PostgreSQL: the SQL lives in ``queries.sql``.

Every change is one transaction that writes the row and appends to
``callback_history`` (append-only). Claims use ``FOR UPDATE SKIP LOCKED``; a NOTIFY on
``CHANNEL`` wakes the dispatchers when a callback becomes dispatchable.

``pool`` is an asyncpg pool or a connection (both answer ``fetch``/``execute``); a
change on a connection runs in a savepoint of the caller's transaction, if any.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from callback import merge
from callback.amend import Amended
from callback.model import (
    AttemptResult,
    Callback,
    Event,
    Kind,
    Merged,
    Reason,
    Request,
    State,
    step,
)
from callback.rows import (
    callback_from_row,
    columns,
    event_detail,
    insert_columns,
    json_value,
    reason_from_json,
    reason_from_row,
)
from core.actor import Actor
from core.errors import HotlineError, NotFound
from db.sql import load_queries

CHANNEL = "hotline_callbacks"  # LISTEN/NOTIFY: a callback may be dispatchable

Q = load_queries("callback")

# intake's advisory lock: (this namespace, hashtext(number)); "12333, callbacks" (issue 11)
NUMBER_LOCK = 1_233_300_011


class StaleAttempt(HotlineError):
    """An event for an attempt that is no longer the callback's (reclaimed, or over)."""

    code = "callback.stale_attempt"


class IdempotencyKeyReused(HotlineError):
    """The same Idempotency-Key came with another request (route or body)."""

    code = "callback.idempotency_key_reused"


@dataclass(frozen=True)
class Opened:
    callback: Callback
    created: bool  # False: merged into (or the same request already made) ``callback``
    merged: bool = False
    linked_to: uuid.UUID | None = None
    replayed: bool = False  # an Idempotency-Key seen before: the first request's callback


@dataclass(frozen=True)
class IdempotencyKey:
    """An API request's ``Idempotency-Key``, unique per actor; ``fingerprint`` is of the
    request (its route and body): the same key with another request is refused."""

    actor: str
    key: str
    fingerprint: str


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


async def _with_reasons(db: Any, rows: list[Any]) -> list[Callback]:
    ids = [r["id"] for r in rows]
    found: dict[uuid.UUID, list[Reason]] = {i: [] for i in ids}
    if ids:
        for r in await db.fetch(Q["reasons_of"], ids):
            found[r["callback_id"]].append(reason_from_row(r))
    return [callback_from_row(r, tuple(found[r["id"]])) for r in rows]


@contextlib.asynccontextmanager
async def _transaction(db: Any) -> AsyncIterator[Any]:
    if isinstance(db, asyncpg.Pool):
        async with db.acquire() as conn, conn.transaction():
            yield conn
    else:
        async with db.transaction():
            yield db


async def _write_history(
    conn: Any,
    before: Callback | None,
    after: Callback,
    event: str,
    at: datetime,
    *,
    actor: Actor | None,
    detail: str,
) -> None:
    await conn.execute(
        Q["insert_history"],
        after.id,
        at,
        event,
        before.state.value if before else None,
        after.state.value,
        actor.job_number if actor else "system",
        actor.role.value if actor else None,
        detail,
    )


async def _insert_reason(conn: Any, callback_id: uuid.UUID, reason: Reason) -> None:
    await conn.execute(
        Q["insert_reason"],
        callback_id,
        reason.kind.value,
        reason.at,
        reason.msg_id,
        reason.linkedid,
        reason.queue_joined_at,
    )


async def _change(
    conn: Any, before: Callback, event: Event, now: datetime, actor: Actor | None
) -> Callback:
    """Step ``before`` (its row locked) and write the row, new reasons and history."""
    after = dataclasses.replace(step(before, event, now), updated_at=now)
    await conn.execute(Q["update_callback"], after.id, *columns(after))
    for reason in after.reasons[len(before.reasons) :]:
        await _insert_reason(conn, after.id, reason)
    await _write_history(
        conn, before, after, type(event).__name__, now, actor=actor, detail=event_detail(event)
    )
    return after


# ---- intake -----------------------------------------------------------------------------


async def open_callback(
    pool: Any, request: Request, now: datetime, *, key: IdempotencyKey | None = None
) -> Opened:
    """One transaction: merge into an ownerless live callback for the number, link to an
    owned one, or create; idempotent per voicemail msg_id and per call and kind. With
    ``key``: the callback that key made before (``replayed``), else it is stored with
    the callback made now (a concurrent request with the key rolls back and replays)."""
    try:
        async with _transaction(pool) as conn:
            replay = await _replayed(conn, key) if key is not None else None
            if replay is not None:
                return replay
            opened = await _open(conn, request, now)
            if key is not None:
                await conn.execute(
                    Q["insert_idempotency"],
                    key.actor,
                    key.key,
                    key.fingerprint,
                    opened.callback.id,
                    opened.created,
                    now,
                )
            return opened
    except asyncpg.UniqueViolationError as exc:
        if key is not None and exc.constraint_name == "callback_idempotency_pkey":
            replay = await _replayed(pool, key)
            if replay is None:
                raise
            return replay
        # the same message or call, taken in meanwhile under another number's lock
        taken = await _taken(pool, request)
        if taken is None:
            raise
        return Opened(taken, created=False)


async def _replayed(db: Any, key: IdempotencyKey) -> Opened | None:
    row = await db.fetchrow(Q["idempotency_of"], key.actor, key.key)
    if row is None:
        return None
    if row["fingerprint"] != key.fingerprint:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was sent before with another request; use a new key"
            " for a new request",
            callback_id=str(row["callback_id"]),
        )
    callback = await get(db, row["callback_id"])
    assert callback is not None  # referenced, and callbacks are never deleted
    return Opened(callback, created=row["created"], linked_to=callback.linked_to, replayed=True)


async def _taken(db: Any, request: Request) -> Callback | None:
    reason = request.reason
    found = await db.fetchval(
        Q["reason_callback"], reason.msg_id, reason.linkedid, reason.kind.value
    )
    return await get(db, found) if found is not None else None


async def _open(conn: Any, request: Request, now: datetime) -> Opened:
    await conn.execute(Q["lock_number"], NUMBER_LOCK, request.number)
    taken = await _taken(conn, request)
    if taken is not None:
        return Opened(taken, created=False)
    live = await _with_reasons(conn, await conn.fetch(Q["live_for_number"], request.number))
    decision = merge.decide(request, live)
    action = decision.action.value
    target = next((c for c in live if c.id == decision.target), None)
    if action in ("same", "merge") and target is None:
        raise HotlineError(f"merge.decide chose {action} of a callback not live for the number")
    if action == "same":
        assert target is not None
        return Opened(target, created=False)
    if action == "merge":
        assert target is not None
        merged = await _change(conn, target, Merged(request.reason, request.priority_at), now, None)
        return Opened(merged, created=False, merged=True)
    linked_to = decision.target if action == "link" else None
    callback = _new(request, now, linked_to)
    await conn.execute(
        Q["insert_callback"], callback.id, *insert_columns(callback), request.due_by_default
    )
    await _insert_reason(conn, callback.id, request.reason)
    detail = json.dumps(
        {"reason": dataclasses.asdict(request.reason), "linked_to": linked_to},
        default=json_value,
    )
    await _write_history(conn, None, callback, "Opened", now, actor=None, detail=detail)
    return Opened(callback, created=True, linked_to=linked_to)


def _new(request: Request, now: datetime, linked_to: uuid.UUID | None) -> Callback:
    return Callback(
        id=uuid.uuid4(),
        kind=request.kind,
        state=State.OPEN,
        number=request.number,
        created_at=now,
        priority_at=request.priority_at,
        not_before=request.not_before,
        due_at=request.due_at,
        owner=request.owner,
        category=request.category,
        question=request.question,
        department=request.department,
        linked_to=linked_to,
        reasons=(request.reason,),
        updated_at=now,
    )


# ---- dispatch ---------------------------------------------------------------------------


async def claim(
    pool: Any, dispatcher: str, now: datetime, lease_s: float, limit: int, *, fresh: bool = True
) -> list[Claim]:
    """Claim up to ``limit`` dispatchable callbacks (open and due, or dispatching with an
    expired lease), earliest ``priority_at`` first; each exactly once across dispatchers.
    ``fresh=False``: only those whose lease ran out (a crashed dispatcher's)."""
    lease_until = now + timedelta(seconds=lease_s)
    rows = await pool.fetch(Q["claim"], now, lease_until, limit, dispatcher, fresh)
    return [
        Claim(
            callback_from_row(r, tuple(reason_from_json(x) for x in json.loads(r["reasons"]))),
            r["previous_attempt_id"],
        )
        for r in rows
    ]


async def renew(pool: Any, attempt_ids: list[str], lease_until: datetime) -> int:
    """Extend the leases of the attempts still alive; returns how many were renewed."""
    if not attempt_ids:
        return 0
    status = await pool.execute(Q["renew"], attempt_ids, lease_until)
    return int(status.rsplit(" ", 1)[1])


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
    async with _transaction(pool) as conn:
        row = await conn.fetchrow(Q["lock_callback"], callback_id)
        if row is None:
            raise NotFound(f"no callback {callback_id}", callback_id=str(callback_id))
        if attempt_id is not None and row["attempt_id"] != attempt_id:
            raise StaleAttempt(
                f"attempt {attempt_id} is no longer callback {callback_id}'s; nothing changed",
                callback_id=str(callback_id),
                attempt_id=attempt_id,
                current_attempt_id=row["attempt_id"],
            )
        before = (await _with_reasons(conn, [row]))[0]
        return await _change(conn, before, event, now, actor)


async def amend(
    pool: Any,
    callback_id: uuid.UUID,
    decide: Callable[[Callback, bool], Amended],
    now: datetime,
    actor: Actor,
) -> Callback:
    """A change of fields (``callback/amend.py``), not a step of the callback's life:
    ``decide`` (the callback and whether its due time is the default's) runs under the
    row lock; each field changed is one history row (``Amended``)."""
    async with _transaction(pool) as conn:
        row = await conn.fetchrow(Q["lock_callback"], callback_id)
        if row is None:
            raise NotFound(f"no callback {callback_id}", callback_id=str(callback_id))
        before = (await _with_reasons(conn, [row]))[0]
        amended = decide(before, row["due_by_default"])
        if not amended.changes:
            return before
        after = amended.callback
        await conn.execute(Q["update_callback"], after.id, *columns(after))
        if amended.due_by_default != row["due_by_default"]:
            await conn.execute(Q["set_due_by_default"], after.id, amended.due_by_default)
        for change in amended.changes:
            detail = json.dumps(dataclasses.asdict(change), default=json_value, ensure_ascii=False)
            await _write_history(conn, before, after, "Amended", now, actor=actor, detail=detail)
        return after


async def attempt_started(
    pool: Any, callback_id: uuid.UUID, attempt_id: str, started_at: datetime
) -> None:
    await pool.execute(Q["attempt_started"], attempt_id, callback_id, started_at)


async def attempt_ended(
    pool: Any,
    attempt_id: str,
    ended_at: datetime,
    result: AttemptResult,
    *,
    agent: str | None = None,
    cause: str | None = None,
) -> None:
    await pool.execute(Q["attempt_ended"], attempt_id, ended_at, result.value, agent, cause)


# ---- reading ----------------------------------------------------------------------------


async def get(pool: Any, callback_id: uuid.UUID) -> Callback | None:
    row = await pool.fetchrow(Q["callback_by_id"], callback_id)
    return (await _with_reasons(pool, [row]))[0] if row else None


async def by_attempt(pool: Any, attempt_id: str) -> Callback | None:
    row = await pool.fetchrow(Q["callback_by_attempt"], attempt_id)
    return (await _with_reasons(pool, [row]))[0] if row else None


async def listing(pool: Any, where: Filter) -> list[Callback]:
    rows = await pool.fetch(
        Q["listing"],
        where.state.value if where.state else None,
        where.kind.value if where.kind else None,
        where.owner,
        where.number,
        where.overdue_at,
        where.limit,
    )
    return await _with_reasons(pool, rows)


async def history(pool: Any, callback_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await pool.fetch(Q["history_of"], callback_id)
    return [{**dict(r), "detail": json.loads(r["detail"])} for r in rows]


async def attempts(pool: Any, callback_id: uuid.UUID) -> list[dict[str, Any]]:
    return [dict(r) for r in await pool.fetch(Q["attempts_of"], callback_id)]
