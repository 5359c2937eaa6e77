"""Walk a caller through a dial plan (pure): key presses + a moment → the path taken.

Uses the same calendar as Asterisk's compiled plan (``ivr.calendar.Day``), and the same
rule for a time switch (``time_switch_branch``). Works on drafts too: a reference to a
node that does not exist ends the walk (``broken``) instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time

from core.errors import InvalidInput
from dialplan.model import (
    DEFAULT_LANGUAGE,
    DTMF_DIGIT,
    KIND_OF,
    HangUp,
    HolidayGreeting,
    Hours,
    Language,
    Menu,
    Node,
    Plan,
    Play,
    Queue,
    SetLanguage,
    TimeSwitch,
    Transfer,
    Voicemail,
    Weekday,
)
from ivr.calendar import Day, DayKind

MAX_STEPS = 2000  # a safety net: a loop is found as the caller comes back unchanged
MAX_KEYS = 100


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
    # queue | voicemail | transfer | hang_up: the IVR handed the call on or ended it;
    # loop: back at a node with nothing changed (the same language, no key pressed
    # since): the caller would go round for ever; broken: a node that does not exist
    ends: str
    node: str  # where the call ends for the IVR
    detail: str  # the queue, the department's number, …
    keys_left: str = ""  # keys the caller pressed that no node read


@dataclass
class _Caller:
    """The walk's state: what is left of the keys, the language."""

    keys: str
    language: Language = DEFAULT_LANGUAGE

    def press(self) -> str | None:
        if not self.keys:
            return None
        key, self.keys = self.keys[0], self.keys[1:]
        return key


@dataclass(frozen=True)
class _Moment:
    at: datetime
    day: Day
    agents_signed_in: bool
    agent_answers: bool


@dataclass(frozen=True)
class _Visit:
    """One node's outcome: the prompts heard, the note, and the next node or the end."""

    heard: tuple[str, ...]
    note: str
    next: str | None = None
    ends: str | None = None
    detail: str = ""


def simulate(
    plan: Plan,
    keys: str,
    at: datetime,
    day_of: Callable[[date], Day],
    *,
    agents_signed_in: bool = True,
    agent_answers: bool = True,
) -> Walk:
    """The caller's path from the start: ``keys`` are the DTMF keys they press, one per
    menu try (none left: the menu times out); ``at`` is the moment of the call in the
    centre's zone. ``agent_answers=False``: nobody answers in a queue before its
    maximum wait."""
    if len(keys) > MAX_KEYS or not all(DTMF_DIGIT.fullmatch(k) for k in keys):
        raise InvalidInput(f"keys must be up to {MAX_KEYS} of 0-9, * and #", field="keys")
    caller = _Caller(keys)
    moment = _Moment(at, day_of(at.date()), agents_signed_in, agent_answers)
    nodes = {n.id: n for n in reversed(plan.nodes)}  # the first of duplicates wins
    steps: list[Step] = []
    node_id = plan.start
    been: set[tuple[str, Language, int]] = set()
    while len(steps) < MAX_STEPS:
        node = nodes.get(node_id)
        if node is None:
            return _end(steps, caller, "broken", node_id, f"there is no node '{node_id}'")
        state = (node_id, caller.language, len(caller.keys))
        if state in been:  # here before, in the same language, with the same keys left
            return _end(steps, caller, "loop", node_id, "back here with no key pressed since")
        been.add(state)
        language = caller.language
        visit = _visit(node, caller, moment)
        steps.append(Step(node.id, KIND_OF[type(node)], language, visit.heard, visit.note))
        if visit.ends is not None:
            return _end(steps, caller, visit.ends, node.id, visit.detail)
        assert visit.next is not None
        node_id = visit.next
    return _end(steps, caller, "loop", node_id, f"{MAX_STEPS} nodes without an end")


def _end(steps: list[Step], caller: _Caller, ends: str, node: str, detail: str) -> Walk:
    return Walk(tuple(steps), ends, node, detail, caller.keys)


def _visit(node: Node, caller: _Caller, moment: _Moment) -> _Visit:  # noqa: PLR0911
    match node:
        case Play():
            return _Visit((node.prompt,), f"played {node.prompt}", node.next)
        case SetLanguage():
            caller.language = node.language
            return _Visit((), f"language: {node.language.value}", node.next)
        case TimeSwitch():
            target, note = time_switch_branch(node, moment.day, moment.at.time())
            return _Visit((), note, target)
        case Menu():
            return _menu(node, caller)
        case Queue():
            return _queue(node, caller, moment)
        case Voicemail():
            return _Visit((node.prompt,), "leaves a message", ends="voicemail")
        case Transfer():
            note = f"transferred to {node.department or 'a department'} ({node.number})"
            return _Visit((), note, ends="transfer", detail=node.number)
        case HangUp():
            return _Visit((node.prompt,) if node.prompt else (), "hung up", ends="hang_up")
        case HolidayGreeting():
            wish = dict(node.greetings).get(moment.day.holiday or "")
            if wish is None:
                return _Visit((), f"no greeting for {_day_name(moment.day)}", node.next)
            return _Visit((wish,), f"greeting for {moment.day.holiday}", node.next)


def time_switch_branch(node: TimeSwitch, day: Day, moment: time) -> tuple[str, str]:
    """Where a time switch sends a caller on ``day`` at ``moment`` (local), and why.

    A holiday → ``holiday`` (or ``closed``); a weekday the calendar made a day off
    (an admin's override) → ``closed``; a weekend day made a working day (调休, or an
    override) keeps ``make_up_day``'s hours; any other day its weekday's hours. Inside
    them → ``open``."""
    clock = f"{moment.hour:02d}:{moment.minute:02d}"
    if day.kind is DayKind.HOLIDAY:
        target = node.holiday or node.closed
        return target, f"holiday ({day.holiday or 'by the calendar'}) at {clock}"
    if day.kind is DayKind.REST and not day.ordinary:
        return node.closed, f"closed: a day off by the calendar ({_day_name(day)})"
    weekday = Weekday(day.day.isoweekday())
    if day.working and weekday >= Weekday.SAT:
        weekday = node.make_up_day
    hours = node.hours_of(weekday)
    for period in hours:
        if moment in period:
            return node.open, f"open: {clock} in {_period(period)} ({_day_name(day)})"
    shown = ", ".join(_period(h) for h in hours) or "no hours"
    return node.closed, f"closed: {clock} not in {shown} ({_day_name(day)})"


def _period(hours: Hours) -> str:
    return f"{Hours.hhmm(hours.start)}-{Hours.hhmm(hours.end)}"


def _day_name(day: Day) -> str:
    weekday = Weekday(day.day.isoweekday()).name.lower()
    return f"{day.day.isoformat()} {weekday}, {day.kind.value}"


def _menu(node: Menu, caller: _Caller) -> _Visit:
    heard: list[str] = []
    tries: list[str] = []
    for _ in range(node.retries):
        heard.append(node.prompt)
        key = caller.press()
        target = node.target(key) if key is not None else None
        if target is not None:
            tries.append(f"pressed {key}")
            return _Visit(tuple(heard), ", ".join(tries), target)
        extra = node.timeout_prompt if key is None else node.invalid_prompt
        if extra is not None:
            heard.append(extra)
        tries.append("no key (timeout)" if key is None else f"pressed {key} (invalid)")
    tries.append(f"after {node.retries} tries")
    return _Visit(tuple(heard), ", ".join(tries), node.after_retries)


def _queue(node: Queue, caller: _Caller, moment: _Moment) -> _Visit:
    if not moment.agents_signed_in:
        return _Visit((), f"nobody signed in to queue {node.queue}", node.when_nobody)
    if node.keep_place is not None and caller.keys[:1] == node.keep_place_digit:
        caller.press()
        note = f"pressed {node.keep_place_digit} to keep the place and be called back"
        return _Visit((), note, node.keep_place)
    if not moment.agent_answers and node.on_max_wait is not None:
        note = f"no agent answered within {node.max_wait_s} s in queue {node.queue}"
        return _Visit((), note, node.on_max_wait)
    return _Visit((), f"waits in queue {node.queue} for an agent", ends="queue", detail=node.queue)
