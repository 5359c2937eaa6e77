"""Drafts, published versions and their audit, as data (pure; no I/O).

A version's life: ``publishing`` (handed to Asterisk) → ``live`` or ``failed``; a live
version becomes ``previous`` when another goes live. ``TRANSITIONS`` is the whole of
it; the repository applies it and PostgreSQL refuses a second live version.

A rollback publishes an earlier version's plan again under a *new* version number
(``rollback_of`` names the one it restores): versions never change, the contexts of
callers still in the version being replaced stay loaded like any other's, and the
history reads as what happened, in order.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dialplan.model import PlanError

LABEL_MAX = 64
# characters a label (a draft's name, the plan's name, a department) may hold besides
# letters and digits of any script: nothing the dialplan, a shell or a config parser
# treats specially (asterisk.md §5)
LABEL_EXTRA = frozenset(" _-()（）·、")


class VersionState(enum.Enum):
    PUBLISHING = "publishing"
    LIVE = "live"
    PREVIOUS = "previous"
    FAILED = "failed"


class Action(enum.Enum):
    DRAFT_CREATED = "draft_created"
    DRAFT_UPDATED = "draft_updated"
    DRAFT_DELETED = "draft_deleted"
    PUBLISHED = "published"
    PUBLISH_FAILED = "publish_failed"
    ROLLED_BACK = "rolled_back"
    ROLLBACK_FAILED = "rollback_failed"


# (from, to): the only changes of state there are
TRANSITIONS = frozenset(
    {
        (VersionState.PUBLISHING, VersionState.LIVE),
        (VersionState.PUBLISHING, VersionState.FAILED),
        (VersionState.LIVE, VersionState.PREVIOUS),
    }
)


@dataclass(frozen=True)
class Draft:
    id: int
    name: str
    plan: dict[str, Any]  # the JSON form (dialplan.plan_json.plan_to_json)
    revision: int
    created_by: str
    created_at: datetime
    edited_by: str
    edited_at: datetime


@dataclass(frozen=True)
class Version:
    version: int
    plan: dict[str, Any]
    text_hash: str | None
    published_by: str
    published_at: datetime
    draft_id: int | None
    draft_name: str | None
    rollback_of: int | None
    state: VersionState
    error: str | None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: Action
    draft_id: int | None
    draft_name: str | None
    version: int | None
    detail: dict[str, Any]


def may_change(old: VersionState, new: VersionState) -> bool:
    return (old, new) in TRANSITIONS


def kept(versions: Sequence[Version], keep: int) -> tuple[Version, ...]:
    """The live version first, then the ``keep`` newest that were live before it: what
    Asterisk keeps loaded, so a caller mid-menu finishes in the version they began in."""
    live = [v for v in versions if v.state is VersionState.LIVE]
    before = sorted(
        (v for v in versions if v.state is VersionState.PREVIOUS),
        key=lambda v: v.version,
        reverse=True,
    )
    return (*live, *before[:keep])


def is_label(text: object) -> bool:
    return (
        isinstance(text, str)
        and 0 < len(text) <= LABEL_MAX
        and text.strip() == text
        and all(c.isalnum() or c in LABEL_EXTRA for c in text)
    )


def check_label(value: object, field: str, where: str = "draft") -> str:
    """A label, or ``PlanError`` naming the field (letters, digits, space, _ - ( ) ·)."""
    if not is_label(value):
        raise PlanError(
            f"{where}: {field} must be 1-{LABEL_MAX} letters or digits (space, _, -, "
            "( ) and · allowed; no punctuation the dialplan could read)",
            field=field,
            where=where,
        )
    assert isinstance(value, str)
    return value
