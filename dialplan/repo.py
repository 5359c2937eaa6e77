"""Drafts, versions and the audit in PostgreSQL: the SQL lives in ``queries.sql``.

``conn`` is an asyncpg connection or the pool (both answer ``fetch``/``execute``); the
steps that must happen together take a connection and run in one transaction.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import asyncpg

from core.errors import HotlineError
from db.sql import load_queries
from dialplan.versions import Action, AuditEntry, Draft, Version, VersionState

Q = load_queries("dialplan")

# the publish lock's key (two int4s, apart from the migrations' and the driver's)
PUBLISH_LOCK = (0x4870_6C6E, 10)  # "Hpln", issue 10


class DraftNameTaken(HotlineError):
    code = "dialplan.draft_name_taken"


class DraftChanged(HotlineError):
    """The draft was edited by someone else since the editor read it."""

    code = "dialplan.draft_changed"


class PublishInProgress(HotlineError):
    code = "dialplan.publish_in_progress"


def _plan(text: str) -> dict[str, Any]:
    value = json.loads(text)
    assert isinstance(value, dict)
    return value


def draft_from_row(row: Any) -> Draft:
    return Draft(
        id=row["id"],
        name=row["name"],
        plan=_plan(row["plan"]),
        revision=row["revision"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        edited_by=row["edited_by"],
        edited_at=row["edited_at"],
    )


def version_from_row(row: Any) -> Version:
    return Version(
        version=row["version"],
        plan=_plan(row["plan"]),
        text_hash=row["text_hash"],
        published_by=row["published_by"],
        published_at=row["published_at"],
        draft_id=row["draft_id"],
        draft_name=row["draft_name"],
        rollback_of=row["rollback_of"],
        state=VersionState(row["state"]),
        error=row["error"],
    )


def audit_from_row(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        at=row["at"],
        actor=row["actor"],
        action=Action(row["action"]),
        draft_id=row["draft_id"],
        draft_name=row["draft_name"],
        version=row["version"],
        detail=_plan(row["detail"]),
    )


# ---- drafts -----------------------------------------------------------------------------


async def drafts(conn: Any) -> list[Draft]:
    return [draft_from_row(r) for r in await conn.fetch(Q["list_drafts"])]


async def draft(conn: Any, draft_id: int) -> Draft | None:
    row = await conn.fetchrow(Q["draft_by_id"], draft_id)
    return draft_from_row(row) if row else None


async def insert_draft(
    conn: Any, name: str, plan: dict[str, Any], actor: str, at: datetime
) -> Draft:
    row = await conn.fetchrow(Q["insert_draft"], name, json.dumps(plan), actor, at)
    if row is None:
        raise DraftNameTaken(f"a draft named {name!r} exists already; choose another name")
    return draft_from_row(row)


async def update_draft(
    conn: Any,
    draft_id: int,
    *,
    name: str,
    plan: dict[str, Any],
    revision: int | None,
    actor: str,
    at: datetime,
) -> Draft | None:
    """The edited draft; None if it does not exist or moved past ``revision``."""
    if await conn.fetchval(Q["draft_name_taken"], name, draft_id):
        raise DraftNameTaken(f"a draft named {name!r} exists already; choose another name")
    try:
        row = await conn.fetchrow(
            Q["update_draft"], draft_id, name, revision, json.dumps(plan), actor, at
        )
    except asyncpg.UniqueViolationError as exc:  # named so meanwhile
        raise DraftNameTaken(f"a draft named {name!r} exists already") from exc
    return draft_from_row(row) if row else None


async def delete_draft(conn: Any, draft_id: int) -> str | None:
    """The deleted draft's name, or None if there was none."""
    row = await conn.fetchrow(Q["delete_draft"], draft_id)
    return row["name"] if row else None


# ---- versions ---------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def publish_lock(pool: Any) -> AsyncIterator[Any]:
    """A connection holding the publish lock for the block, or ``PublishInProgress``."""
    async with pool.acquire() as conn:
        conn.keeps_session_state()  # reset in full when released: the lock goes with it
        if not await conn.fetchval(Q["try_publish_lock"], *PUBLISH_LOCK):
            raise PublishInProgress(
                "another dial plan is being published; try again when it has finished"
            )
        try:
            yield conn
        finally:
            await conn.fetchval(Q["publish_unlock"], *PUBLISH_LOCK)


async def abandon_publishing(conn: Any, why: str) -> list[int]:
    return [r["version"] for r in await conn.fetch(Q["abandon_publishing"], why)]


async def insert_version(
    conn: Any,
    plan: dict[str, Any],
    *,
    actor: str,
    at: datetime,
    draft_id: int | None,
    draft_name: str | None,
    rollback_of: int | None,
) -> int:
    """Allocate the next version number for ``plan``, state ``publishing``."""
    number: int = await conn.fetchval(
        Q["insert_version"], json.dumps(plan), actor, at, draft_id, draft_name, rollback_of
    )
    return number


async def make_live(conn: Any, version: int, text_hash: str) -> int | None:
    """In one transaction: ``version`` live, the former live ``previous``; the former."""
    async with conn.transaction():
        await conn.execute(Q["set_text_hash"], version, text_hash)
        former = await conn.fetchval(Q["demote_live"])
        if await conn.fetchval(Q["make_live"], version) is None:
            raise AssertionError(f"version {version} was not publishing")
        return int(former) if former is not None else None


async def mark_failed(conn: Any, version: int, error: str, text_hash: str | None) -> None:
    async with conn.transaction():
        if text_hash is not None:
            await conn.execute(Q["set_text_hash"], version, text_hash)
        await conn.execute(Q["mark_failed"], version, error)


async def versions(conn: Any, limit: int = 1000) -> list[Version]:
    return [version_from_row(r) for r in await conn.fetch(Q["list_versions"], limit)]


async def version(conn: Any, number: int) -> Version | None:
    row = await conn.fetchrow(Q["version_by_number"], number)
    return version_from_row(row) if row else None


async def loaded_versions(conn: Any, keep: int) -> list[Version]:
    """The live version first, then the ``keep`` newest previous ones."""
    rows = await conn.fetch(Q["loaded_versions"], keep)
    found = [version_from_row(r) for r in rows]
    return sorted(found, key=lambda v: (v.state is not VersionState.LIVE, -v.version))


# ---- audit ------------------------------------------------------------------------------


async def audit(
    conn: Any,
    *,
    at: datetime,
    actor: str,
    action: Action,
    draft_id: int | None = None,
    draft_name: str | None = None,
    version: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        Q["insert_audit"],
        at,
        actor,
        action.value,
        draft_id,
        draft_name,
        version,
        json.dumps(detail or {}, ensure_ascii=False),
    )


async def audit_entries(conn: Any, limit: int) -> list[AuditEntry]:
    return [audit_from_row(r) for r in await conn.fetch(Q["list_audit"], limit)]
