"""The purge job: hourly, each table's rows older than its rule, in batches (short
transactions: the CEL loader keeps inserting meanwhile), until a batch comes back short."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from core.logging import get_logger
from core.tasks import cancel_and_wait
from retention import repo
from retention.model import Rule

log = get_logger("retention")

EVERY_S = 3600.0
FIRST_S = 120.0  # after start: not in the middle of everything else starting
BATCH = 1000  # calls for CEL (~30 rows each), rows for the audit tables


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Purge:
    def __init__(
        self,
        pool: Any,
        rules: Sequence[Rule],
        *,
        every_s: float = EVERY_S,
        first_s: float = FIRST_S,
        batch: int = BATCH,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.pool = pool
        self.rules = tuple(rule for rule in rules if rule.days > 0)
        self.every_s = every_s
        self.first_s = first_s
        self.batch = batch
        self.clock = clock
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None and self.rules:
            self._task = asyncio.create_task(self._run(), name="retention-purge")

    async def stop(self) -> None:
        task, self._task = self._task, None
        await cancel_and_wait(task)

    async def run_once(self) -> dict[str, int]:
        """Every table's rows past their time; how many went, by table."""
        gone: dict[str, int] = {}
        for rule in self.rules:
            cut = rule.cut(self.clock())
            assert cut is not None  # rules kept for ever were left out
            total = 0
            while True:
                count = await repo.purge(self.pool, rule.table, cut, self.batch)
                total += count
                if count < self.batch:
                    break
                await asyncio.sleep(0)  # live work between batches
            if total:
                log.info("rows past their retention purged", table=rule.table.value, gone=total)
            gone[rule.table.value] = total
        return gone

    async def _run(self) -> None:
        await asyncio.sleep(self.first_s)
        while True:
            try:
                await self.run_once()
            except Exception:
                log.exception("retention purge failed; will try again")
            await asyncio.sleep(self.every_s)
