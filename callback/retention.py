"""Voicemail retention: a closed callback's message leaves Asterisk's spool after
``callback_voicemail_retention_days`` (``voicemail.conf``'s ``maxmsg`` is 9999: without
this, nothing ever removes them).

Every ``SWEEP_EVERY_S`` the sweep takes the messages of callbacks closed (done, failed,
cancelled — final states) longer than that, and asks app_voicemail to remove each (AMI
``VoicemailRemove`` by ``msg_id`` in the folder the spool shows it in), so Asterisk
renumbers the folder and keeps its own index right; deleting the files behind its back
would not. Asterisk answers ``Success`` whether or not it removed it, so the spool is
looked at again: a message still there is left for the next sweep; one gone is marked
removed (``callback_reasons.removed_at``, and a ``VoicemailRemoved`` history row). A
message not in the spool at all was removed before (a crash between the removal and the
mark): it is marked, nothing fails. A live callback's message is never taken (the query
and the mark both require a closed callback). The recording route then answers 410
``callback.recording_removed``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from ami.actions import Action, VoicemailRemove
from callback.repo import Q
from callback.spool import Spool
from core import names
from core.logging import get_logger
from core.tasks import cancel_and_wait

log = get_logger("callback")

SWEEP_EVERY_S = 3600.0
FIRST_SWEEP_S = 60.0  # after start: not in the middle of everything else starting
SWEEP_BATCH = 200


class Sender(Protocol):
    """The AMI client (``ami.AmiClient.send``)."""

    async def send(self, action: Action, *, timeout: float | None = None) -> Any: ...


def closed_before(now: datetime, retention_days: int) -> datetime:
    return now - timedelta(days=retention_days)


# ---- the store (SQL in callback/queries.sql) ----------------------------------------------


@dataclass(frozen=True)
class KeptVoicemail:
    reason_id: int
    callback_id: uuid.UUID
    msg_id: str


async def to_remove(pool: Any, before: datetime, limit: int) -> list[KeptVoicemail]:
    rows = await pool.fetch(Q["voicemails_to_remove"], before, limit)
    return [KeptVoicemail(r["id"], r["callback_id"], r["msg_id"]) for r in rows]


async def mark_removed(pool: Any, kept: KeptVoicemail, now: datetime) -> bool:
    """False when it was marked already (or its callback is live: never)."""
    return await pool.fetchval(Q["voicemail_removed"], kept.reason_id, now) is not None


async def removed_at(pool: Any, msg_id: str) -> datetime | None:
    found: datetime | None = await pool.fetchval(Q["voicemail_removed_at"], msg_id)
    return found


# ---- the sweep ------------------------------------------------------------------------------


def _utc_now() -> datetime:
    return datetime.now(UTC)


class VoicemailRetention:
    def __init__(
        self,
        ami: Sender,
        pool: Any,
        spool: Spool,
        *,
        retention_days: int,
        every_s: float = SWEEP_EVERY_S,
        first_s: float = FIRST_SWEEP_S,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.ami = ami
        self.pool = pool
        self.spool = spool
        self.retention_days = retention_days
        self.every_s = every_s
        self.first_s = first_s
        self.clock = clock
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None and self.retention_days > 0:
            self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def sweep(self) -> int:
        """Remove the messages due to go; returns how many were marked removed."""
        if not await asyncio.to_thread(self.spool.readable):
            log.warning("voicemail spool not readable; no message removed")
            return 0
        before = closed_before(self.clock(), self.retention_days)
        removed = 0
        for kept in await to_remove(self.pool, before, SWEEP_BATCH):
            if await self._remove(kept):
                removed += 1
        if removed:
            log.info("voicemail messages removed", removed=removed, closed_before=before)
        return removed

    async def _remove(self, kept: KeptVoicemail) -> bool:
        folder = await asyncio.to_thread(self.spool.folder_of, kept.msg_id)
        if folder is not None:
            action = VoicemailRemove(
                names.VOICEMAIL_CONTEXT, names.VOICEMAIL_BOX, folder, kept.msg_id
            )
            reply = await self.ami.send(action)
            if await asyncio.to_thread(self.spool.folder_of, kept.msg_id) is not None:
                log.warning(
                    "voicemail message not removed; the next sweep tries again",
                    msg_id=kept.msg_id,
                    callback=str(kept.callback_id),
                    answer=getattr(reply, "message", ""),
                )
                return False
        return await mark_removed(self.pool, kept, self.clock())

    async def _run(self) -> None:
        await asyncio.sleep(self.first_s)
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("voicemail retention sweep failed; the next one retries")
            await asyncio.sleep(self.every_s)
