"""Compile a dial plan into Asterisk dialplan text (pure, deterministic, golden-tested).

A published version's nodes become contexts of their own (``names.plan_context``), so
a caller mid-menu stays in the version they started in while the entry numbers jump to
the live one. Nothing from the plan reaches the text but whitelisted names
(``dialplan.model``'s patterns) and values of known shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dialplan.model import Plan
from ivr.calendar import Day


@dataclass(frozen=True)
class CompileOptions:
    prompts_dir: str  # prompts live at <prompts_dir>/<language>/<name>.wav
    timezone: str  # the centre's, for the time switch and the calendar's date


@dataclass(frozen=True)
class Compiled:
    version: int
    text: str  # the file hotline-plan-v<N>.conf
    contexts: Mapping[str, int]  # each context it defines → its extension count (the check)


def compile_plan(plan: Plan, version: int, options: CompileOptions) -> Compiled:
    raise NotImplementedError  # issue 10: filled in by the compiler work


def compile_entry(live: Mapping[str, int], options: CompileOptions) -> str:
    """``[from-pstn]``: each entry number → the start of its live version."""
    raise NotImplementedError


def compile_calendar(days: Iterable[Day]) -> str:
    """``[hotline-calendar]``: one extension per date that is not an ordinary one."""
    raise NotImplementedError
