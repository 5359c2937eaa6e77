"""What a new callback request does to the callbacks already there (pure; issue 11).

- The **same** request again (a voicemail's ``msg_id``; a keep-your-place or an
  escalation from the same call, its ``linkedid`` and kind) changes nothing: intake is
  idempotent, also when a message is taken in twice after a restart.
- An ownerless voicemail or keep-your-place request **merges** into an ownerless open (or
  dispatching) voicemail or keep-your-place callback for the number: one call for all
  its reasons, so a citizen is never called twice for the same wait.
- Otherwise, with a live callback for the number, the new one is made and **linked** to
  it (an owned escalation or a return visit keeps its owner and time; whoever calls
  sees the other).
- Otherwise a new callback is **created**.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from callback.model import LIVE_STATES, Callback, Kind, Reason, Request, State

_OWNERLESS_KINDS = frozenset({Kind.VOICEMAIL, Kind.KEEP_PLACE})
_MERGES_INTO = frozenset({State.OPEN, State.DISPATCHING})
_PER_CALL_KINDS = frozenset({Kind.KEEP_PLACE, Kind.ESCALATION})


class Action(enum.Enum):
    CREATE = "create"
    MERGE = "merge"  # step the target with ``Merged(request.reason, request.priority_at)``
    LINK = "link"  # create, with ``linked_to`` the target
    SAME = "same"  # already made: the target is that callback; nothing changes


@dataclass(frozen=True)
class Decision:
    action: Action
    target: uuid.UUID | None = None  # the callback merged into, linked to, or already made


def decide(request: Request, live: Sequence[Callback]) -> Decision:
    """What ``request`` does, given the live callbacks for its number. ``live`` may also
    hold closed callbacks that carry the request's key (a done callback for the same
    voicemail): they make it the same request, but are never merged into or linked to."""
    same = next((c for c in live if _carries(c, request.reason)), None)
    if same is not None:
        return Decision(Action.SAME, same.id)
    candidates = [c for c in live if c.state in LIVE_STATES and c.number == request.number]
    if request.kind in _OWNERLESS_KINDS and request.owner is None:
        into = _first(c for c in candidates if _takes_merges(c))
        if into is not None:
            return Decision(Action.MERGE, into.id)
    owned = _first(c for c in candidates if c.owner is not None)
    to = owned or _first(candidates)
    if to is not None:
        return Decision(Action.LINK, to.id)
    return Decision(Action.CREATE)


def _carries(callback: Callback, reason: Reason) -> bool:
    """Whether ``callback`` already holds the request that ``reason`` stands for."""
    if reason.kind is Kind.VOICEMAIL:
        return reason.msg_id is not None and any(
            r.msg_id == reason.msg_id for r in callback.reasons
        )
    if reason.kind in _PER_CALL_KINDS:
        return reason.linkedid is not None and any(
            r.kind is reason.kind and r.linkedid == reason.linkedid for r in callback.reasons
        )
    return False  # a return visit is scheduled on purpose: each is its own


def _takes_merges(callback: Callback) -> bool:
    return (
        callback.kind in _OWNERLESS_KINDS
        and callback.owner is None
        and callback.state in _MERGES_INTO
    )


def _first(callbacks: Iterable[Callback]) -> Callback | None:
    """The one that goes first: earliest priority, then the oldest."""
    return min(callbacks, key=lambda c: (c.priority_at, c.created_at, c.id), default=None)
