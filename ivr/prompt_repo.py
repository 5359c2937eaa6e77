"""Prompt rows in PostgreSQL (SQL in ``ivr/queries.sql``): the library's record of each
file, and its append-only history."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from db.sql import load_queries
from dialplan.model import Language
from ivr.prompt_files import Made

Q = load_queries("ivr")
HISTORY_MAX = 100


class Source(enum.Enum):
    DEFAULT = "default"  # made by the service from the standard's wording
    UPLOAD = "upload"
    TTS = "tts"  # an admin's text, spoken by espeak-ng


@dataclass(frozen=True)
class PromptRecord:
    language: Language
    name: str
    source: Source
    text: str | None
    upload_type: str | None
    duration_ms: int
    size_bytes: int
    sha256: str
    changed_by: str | None
    changed_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> PromptRecord:
        return cls(
            language=Language(row["language"]),
            name=row["name"],
            source=Source(row["source"]),
            text=row["text"],
            upload_type=row["upload_type"],
            duration_ms=row["duration_ms"],
            size_bytes=row["size_bytes"],
            sha256=row["sha256"],
            changed_by=row["changed_by"],
            changed_at=row["changed_at"],
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "language": self.language.value,
            "name": self.name,
            "source": self.source.value,
            "text": self.text,
            "upload_type": self.upload_type,
            "duration_ms": self.duration_ms,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
            "changed_by": self.changed_by,
            "changed_at": self.changed_at.isoformat(),
        }


def _ms(made: Made) -> int:
    return round(made.stats.duration_s * 1000)


async def list_all(pool: asyncpg.Pool) -> list[PromptRecord]:
    return [PromptRecord.from_row(r) for r in await pool.fetch(Q["prompt_list"])]


async def get(pool: asyncpg.Pool, language: Language, name: str) -> PromptRecord | None:
    row = await pool.fetchrow(Q["prompt_get"], language.value, name)
    return None if row is None else PromptRecord.from_row(row)


async def save(
    pool: asyncpg.Pool,
    made: Made,
    source: Source,
    *,
    text: str | None,
    upload_type: str | None,
    by: str,
) -> PromptRecord:
    args = (made.language.value, made.name)
    facts = (_ms(made), made.size_bytes, made.sha256)
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            Q["prompt_save"], *args, source.value, text, upload_type, *facts, by
        )
        await conn.execute(
            Q["prompt_history_add"], *args, source.value, text, upload_type, *facts, by
        )
    return PromptRecord.from_row(row)


async def save_default(pool: asyncpg.Pool, made: Made, text: str) -> bool:
    """Record a default the service made; ``False`` when an admin's prompt is there."""
    args = (made.language.value, made.name)
    facts = (_ms(made), made.size_bytes, made.sha256)
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(Q["prompt_save_default"], *args, text, *facts)
        if row is None:
            return False
        await conn.execute(Q["prompt_history_add"], *args, "default", text, None, *facts, None)
    return True


async def delete(pool: asyncpg.Pool, language: Language, name: str, by: str) -> bool:
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(Q["prompt_delete"], language.value, name)
        await conn.execute(
            Q["prompt_history_add"],
            language.value,
            name,
            "delete",
            None,
            None,
            None,
            None,
            None,
            by,
        )
    return row is not None


async def history(pool: asyncpg.Pool, language: Language, name: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(Q["prompt_history"], language.value, name, HISTORY_MAX)
    return [
        {
            "action": r["action"],
            "text": r["text"],
            "upload_type": r["upload_type"],
            "duration_ms": r["duration_ms"],
            "size_bytes": r["size_bytes"],
            "sha256": r["sha256"],
            "changed_by": r["changed_by"],
            "changed_at": r["changed_at"].isoformat(),
        }
        for r in rows
    ]
