"""Walk a caller through a dial plan (pure): key presses + a moment → the path taken.

Uses the same calendar as Asterisk's compiled plan (``ivr.calendar.Day``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from dialplan.model import Language, Plan
from ivr.calendar import Day


@dataclass(frozen=True)
class Step:
    node: str
    kind: str  # the node's kind (``dialplan.model.KINDS``)
    language: Language
    heard: tuple[str, ...]  # prompt names played here, in order
    note: str  # why the caller went on, for a person ("pressed 2", "closed: 19:45")


@dataclass(frozen=True)
class Walk:
    steps: tuple[Step, ...]
    ends: str  # queue | voicemail | transfer | hang_up | no_input | caller_hung_up
    node: str  # where the call ends for the IVR
    detail: str  # the queue, the department's number, …


def simulate(
    plan: Plan,
    keys: str,
    at: datetime,
    day_of: Callable[[date], Day],
    *,
    agents_signed_in: bool = True,
) -> Walk:
    raise NotImplementedError  # issue 10: filled in by the simulator work
