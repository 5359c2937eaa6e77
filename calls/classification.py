"""R5: each answered call gets a category from the region's list and a summary, from
the agent who took it. The list is the admins' to edit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from calls import repo
from core.actor import Actor, Role
from core.errors import Forbidden, HotlineError, InvalidInput

SUMMARY_MAX = 500  # calls.summary's CHECK
CATEGORY_MAX = 40  # call_categories.name's CHECK


class NotYourCall(HotlineError):
    """Only the agent who answered a call classifies it (the code predates this class)."""

    code = "agent.not_allowed"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Classifier:
    def __init__(self, pool: Any, clock: Callable[[], datetime] = _utc_now) -> None:
        self.pool = pool
        self.clock = clock

    async def categories(self) -> list[str]:
        return await repo.categories(self.pool)

    async def replace_categories(self, actor: Actor, names: list[str]) -> list[str]:
        if actor.role is not Role.ADMIN:  # the admin pages' /admin/categories, one rule
            raise Forbidden("only an admin edits the call categories")
        if not names or not all(1 <= len(n) <= CATEGORY_MAX and n.strip() == n for n in names):
            raise InvalidInput(f"categories must be a list of 1-{CATEGORY_MAX} character names")
        if len(set(names)) != len(names):
            raise InvalidInput("a category is listed twice")
        await repo.replace_categories(self.pool, names)
        return names

    async def classify(self, actor: Actor, linkedid: str, category: str, summary: str) -> None:
        """The actor's own answered call gets ``category`` and ``summary``."""
        if len(summary) > SUMMARY_MAX:
            raise InvalidInput(f"the summary is limited to {SUMMARY_MAX} characters")
        if category not in await repo.categories(self.pool):
            raise InvalidInput(f"unknown category {category!r}; see GET /api/categories")
        classified = await repo.classify(
            self.pool,
            linkedid,
            category=category,
            summary=summary,
            job_number=actor.job_number,
            at=self.clock(),
        )
        if not classified:
            raise NotYourCall(
                f"call {linkedid} is not on record as answered by agent {actor.job_number} "
                "(yet: it is written when the call ends)"
            )
