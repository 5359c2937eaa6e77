"""A call's way through the dial plan and its holds: pure, shared by the AMI fold
(``calls.model``) and the CEL rebuild (``calls.cel``), so both give the same answer.

- **Menu path.** The compiled plan announces every node a caller enters, on the
  caller's channel, twice: ``UserEvent(HotlineNode, Node, Version, Language)`` for the
  service and ``CELGenUserEvent(HOTLINE_NODE, <version>/<node>/<language>)`` for CEL.
  The path is the node ids in the order entered (a node entered again appears again);
  the version is the first step's (a caller stays in the version they started in);
  the language is the last step's (a language node changes it for the nodes after
  it); the call ended in the last node entered. A step whose values are not what the
  plan model allows is ignored, not trusted.
- **Holds (R9).** The agent's phone puts the caller on hold: ``Hold`` on the agent's
  channel (same Linkedid, not the caller's channel), ``Unhold`` when it resumes. A
  hold runs from the first ``Hold`` to the next ``Unhold``; one still running when
  the call ends lasts until the end. Asterisk 22's CEL has no hold event types
  (``cel.conf`` can enable none), so a call rebuilt from CEL has holds *unknown*
  (``None``), never "none".
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from dialplan.model import NODE_ID, Language

LONG_HOLD_S = 30.0  # R9: a hold longer than this is a quality figure (and hears the reminder)
MAX_STEPS = 500  # a path is a caller's key presses; steps beyond this are not kept


@dataclass(frozen=True)
class MenuPath:
    """The dial-plan nodes a caller went through so far."""

    version: int | None = None
    nodes: tuple[str, ...] = ()
    language: Language | None = None

    @property
    def ended_in(self) -> str | None:
        return self.nodes[-1] if self.nodes else None

    def entered(self, version: int, node: str, language: str) -> MenuPath:
        """The path after the caller entered ``node`` (values as Asterisk gave them)."""
        lang = _language(language)
        if version <= 0 or not NODE_ID.fullmatch(node) or lang is None:
            return self
        if len(self.nodes) >= MAX_STEPS:
            return self
        return MenuPath(
            version=self.version if self.version is not None else version,
            nodes=(*self.nodes, node),
            language=lang,
        )

    def entered_cel(self, extra: str) -> MenuPath:
        """The path after a ``HOTLINE_NODE`` CEL row, whose extra is
        ``<version>/<node>/<language>``."""
        version, _, rest = extra.partition("/")
        node, _, language = rest.partition("/")
        if not (version.isascii() and version.isdigit() and len(version) <= VERSION_DIGITS):
            return self
        return self.entered(int(version), node, language)


VERSION_DIGITS = 9


def _language(value: str) -> Language | None:
    try:
        return Language(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class CallHold:
    """One hold: when the agent put the caller on hold, and for how long (seconds)."""

    started_at: datetime
    length_s: float

    @property
    def long(self) -> bool:
        return self.length_s > LONG_HOLD_S


@dataclass(frozen=True)
class Holds:
    """The holds of a call in progress."""

    done: tuple[CallHold, ...] = ()
    since: datetime | None = None  # the hold running now, if any

    def held(self, at: datetime) -> Holds:
        return self if self.since is not None else dataclasses.replace(self, since=at)

    def resumed(self, at: datetime) -> Holds:
        if self.since is None:
            return self
        return Holds(done=(*self.done, _hold(self.since, at)), since=None)

    def at_end(self, ended_at: datetime) -> tuple[CallHold, ...]:
        """All holds, one still running cut at the call's end."""
        return self.resumed(ended_at).done


def _hold(start: datetime, end: datetime) -> CallHold:
    return CallHold(started_at=start, length_s=round(max((end - start).total_seconds(), 0.0), 3))


def hold_count(holds: tuple[CallHold, ...] | None) -> int | None:
    return None if holds is None else len(holds)


def hold_total_s(holds: tuple[CallHold, ...] | None) -> float | None:
    return None if holds is None else round(sum(h.length_s for h in holds), 3)


def long_holds(holds: tuple[CallHold, ...] | None) -> int | None:
    return None if holds is None else sum(1 for h in holds if h.long)
