"""A dial plan as data: entry numbers and a graph of nodes (pure; no I/O).

What an admin edits and what the validator, the simulator and the compiler read. A
caller enters at ``Plan.start`` and moves from node to node by the node's rule: a
``Play`` goes on to ``next``, a ``Menu`` by the digit pressed, a ``TimeSwitch`` by the
calendar and the clock, and so on, until a node that ends the call for the IVR
(``Queue``, ``Voicemail``, ``Transfer``, ``HangUp``).

Every name here is checked at the edge (``parse_plan``) against a whitelist before it
can reach the compiler: node ids, prompt names, queue names, digits and numbers never
carry anything but the characters their pattern allows (asterisk.md §5).

The JSON form (``plan_to_json`` / ``parse_plan``) is what the admin API takes and what
PostgreSQL keeps; it round-trips exactly.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from typing import Any

from core.errors import HotlineError

# ---- whitelists (asterisk.md §5: whitelist, never escape) ---------------------------------
NODE_ID = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
PROMPT_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
QUEUE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
ENTRY_NUMBER = re.compile(r"^[0-9]{3,20}$")
DEPARTMENT_NUMBER = re.compile(r"^[0-9]{3,20}$")
DTMF_DIGIT = re.compile(r"^[0-9*#]$")
HOLIDAY_KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")

MAX_NODES = 1000
MAX_TEXT = 200  # a label, a department's name


class PlanError(HotlineError):
    """A plan that cannot be read at all (the JSON's shape, a field's characters)."""

    code = "dialplan.invalid"


class Language(enum.Enum):
    """Prompt languages (R14): Mandarin by default; each is an espeak-ng voice."""

    MANDARIN = "zh"
    UYGHUR = "ug"
    KAZAKH = "kk"

    @property
    def espeak_voice(self) -> str:
        return {"zh": "cmn", "ug": "ug", "kk": "kk"}[self.value]


DEFAULT_LANGUAGE = Language.MANDARIN


class Weekday(enum.IntEnum):
    MON = 1
    TUE = 2
    WED = 3
    THU = 4
    FRI = 5
    SAT = 6
    SUN = 7


@dataclass(frozen=True, order=True)
class Hours:
    """One opening period of a day in minutes since midnight: ``start`` ≤ t < ``end``
    (``end`` may be 1440, the end of the day)."""

    start: int
    end: int

    def __contains__(self, moment: time) -> bool:
        return self.start <= moment.hour * 60 + moment.minute < self.end

    @staticmethod
    def hhmm(minutes: int) -> str:
        return f"{minutes // 60:02d}:{minutes % 60:02d}"


# ---- nodes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Play:
    """Plays ``prompt``, then goes on to ``next``."""

    id: str
    prompt: str
    next: str


@dataclass(frozen=True)
class Menu:
    """Plays ``prompt`` and waits ``timeout_s`` for one digit. A digit in ``choices``
    goes to its node; another digit plays ``invalid_prompt``, silence plays
    ``timeout_prompt``, and the menu is played again — ``retries`` times in all, after
    which the caller goes to ``after_retries``."""

    id: str
    prompt: str
    choices: tuple[tuple[str, str], ...]  # (digit, node id), in the admin's order
    after_retries: str
    timeout_s: int = 5
    retries: int = 3
    invalid_prompt: str | None = None
    timeout_prompt: str | None = None

    def target(self, digit: str) -> str | None:
        return dict(self.choices).get(digit)


@dataclass(frozen=True)
class SetLanguage:
    """R14: prompts are played in ``language`` for the rest of the call."""

    id: str
    language: Language
    next: str


@dataclass(frozen=True)
class TimeSwitch:
    """Open, closed or holiday, by the official calendar and the clock.

    A public holiday (official, or an admin's override) goes to ``holiday`` (or
    ``closed`` when it is not set); a weekday made a day off goes to ``closed``; a
    weekend day made a working day (调休) keeps ``make_up_day``'s hours; any other day
    keeps its weekday's hours. Inside them: ``open``. (``simulate.time_switch_branch``
    is the rule; the compiler must agree with it.)"""

    id: str
    hours: tuple[tuple[Weekday, tuple[Hours, ...]], ...]
    open: str
    closed: str
    holiday: str | None = None
    make_up_day: Weekday = Weekday.MON

    def hours_of(self, weekday: Weekday) -> tuple[Hours, ...]:
        return dict(self.hours).get(weekday, ())


@dataclass(frozen=True)
class HolidayGreeting:
    """R7: on a holiday, the prompt for that holiday (its wish); else nothing. Then
    ``next``. ``greetings`` maps a holiday key (``ivr.calendar``) to a prompt."""

    id: str
    greetings: tuple[tuple[str, str], ...]
    next: str


@dataclass(frozen=True)
class Queue:
    """Waits for an agent in ``queue``. ``max_wait_s`` → ``on_max_wait``; nobody signed
    in (no member, or all left) → ``when_nobody``; the caller's ``keep_place_digit``
    while waiting → ``keep_place`` (a callback that keeps the place)."""

    id: str
    queue: str
    when_nobody: str
    max_wait_s: int | None = None
    on_max_wait: str | None = None
    announce_position: bool = False
    announce_every_s: int = 0  # 0: no periodic position / expected-wait announcement
    keep_place_digit: str | None = None
    keep_place: str | None = None


@dataclass(frozen=True)
class Voicemail:
    """The caller leaves a message after ``prompt``; it becomes a callback (R12)."""

    id: str
    prompt: str


@dataclass(frozen=True)
class Transfer:
    """R11b: the call goes to a department's number through the outbound trunk;
    if it fails (busy, no answer), ``on_failure``."""

    id: str
    department: str
    number: str
    on_failure: str | None = None


@dataclass(frozen=True)
class HangUp:
    """Plays ``prompt`` if any, then hangs up."""

    id: str
    prompt: str | None = None


Node = (
    Play | Menu | SetLanguage | TimeSwitch | HolidayGreeting | Queue | Voicemail | Transfer | HangUp
)

KINDS: Mapping[str, type[Node]] = {
    "play": Play,
    "menu": Menu,
    "language": SetLanguage,
    "time_switch": TimeSwitch,
    "holiday_greeting": HolidayGreeting,
    "queue": Queue,
    "voicemail": Voicemail,
    "transfer": Transfer,
    "hang_up": HangUp,
}
KIND_OF: Mapping[type[Node], str] = {cls: kind for kind, cls in KINDS.items()}


@dataclass(frozen=True)
class Plan:
    """Entry numbers and the nodes; a call starts at ``start``."""

    entry_numbers: tuple[str, ...]
    start: str
    nodes: tuple[Node, ...]
    name: str = ""
    announce_job_number: bool = True  # R8: the caller hears the agent's job number

    def node(self, node_id: str) -> Node | None:
        return self._index.get(node_id)

    @property
    def _index(self) -> dict[str, Node]:
        return {n.id: n for n in self.nodes}

    def prompts(self) -> frozenset[str]:
        """Every prompt name the plan plays."""
        return frozenset(p for n in self.nodes for p in prompts_of(n))

    def languages(self) -> frozenset[Language]:
        """Mandarin and every language a node switches to."""
        return frozenset(
            {DEFAULT_LANGUAGE, *(n.language for n in self.nodes if isinstance(n, SetLanguage))}
        )


def successors(node: Node) -> tuple[str, ...]:
    """The node ids a caller can go to from ``node``, in a stable order."""
    match node:
        case Play() | SetLanguage() | HolidayGreeting():
            return (node.next,)
        case Menu():
            return (*(t for _, t in node.choices), node.after_retries)
        case TimeSwitch():
            return tuple(t for t in (node.open, node.closed, node.holiday) if t is not None)
        case Queue():
            return tuple(t for t in (node.when_nobody, node.on_max_wait, node.keep_place) if t)
        case Transfer():
            return (node.on_failure,) if node.on_failure else ()
        case Voicemail() | HangUp():
            return ()


def prompts_of(node: Node) -> tuple[str, ...]:
    match node:
        case Play() | Voicemail():
            return (node.prompt,)
        case Menu():
            return tuple(p for p in (node.prompt, node.invalid_prompt, node.timeout_prompt) if p)
        case HolidayGreeting():
            return tuple(p for _, p in node.greetings)
        case HangUp():
            return (node.prompt,) if node.prompt else ()
        case _:
            return ()


# ---- the JSON form ------------------------------------------------------------------------


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The plan as the API shows it and PostgreSQL keeps it."""
    return {
        "name": plan.name,
        "entry_numbers": list(plan.entry_numbers),
        "start": plan.start,
        "announce_job_number": plan.announce_job_number,
        "nodes": [_node_to_json(n) for n in plan.nodes],
    }


def _node_to_json(node: Node) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": KIND_OF[type(node)], "id": node.id}
    match node:
        case Play():
            out |= {"prompt": node.prompt, "next": node.next}
        case Menu():
            out |= {
                "prompt": node.prompt,
                "choices": {d: t for d, t in node.choices},
                "after_retries": node.after_retries,
                "timeout_s": node.timeout_s,
                "retries": node.retries,
                "invalid_prompt": node.invalid_prompt,
                "timeout_prompt": node.timeout_prompt,
            }
        case SetLanguage():
            out |= {"language": node.language.value, "next": node.next}
        case TimeSwitch():
            out |= {
                "hours": {
                    d.name.lower(): [[Hours.hhmm(h.start), Hours.hhmm(h.end)] for h in hs]
                    for d, hs in node.hours
                },
                "open": node.open,
                "closed": node.closed,
                "holiday": node.holiday,
                "make_up_day": node.make_up_day.name.lower(),
            }
        case HolidayGreeting():
            out |= {"greetings": {k: p for k, p in node.greetings}, "next": node.next}
        case Queue():
            out |= {
                "queue": node.queue,
                "when_nobody": node.when_nobody,
                "max_wait_s": node.max_wait_s,
                "on_max_wait": node.on_max_wait,
                "announce_position": node.announce_position,
                "announce_every_s": node.announce_every_s,
                "keep_place_digit": node.keep_place_digit,
                "keep_place": node.keep_place,
            }
        case Voicemail():
            out |= {"prompt": node.prompt}
        case Transfer():
            out |= {
                "department": node.department,
                "number": node.number,
                "on_failure": node.on_failure,
            }
        case HangUp():
            out |= {"prompt": node.prompt}
    return out


class _Reader:
    """Reads one node's JSON object, naming the node and the field in every error."""

    def __init__(self, raw: Mapping[str, Any], where: str) -> None:
        self.raw = raw
        self.where = where

    def fail(self, name: str, what: str) -> PlanError:
        return PlanError(f"{self.where}: {name} {what}", field=name, where=self.where)

    def text(
        self, name: str, pattern: re.Pattern[str], *, optional: bool = False, what: str = ""
    ) -> Any:
        value = self.raw.get(name)
        if value is None:
            if optional:
                return None
            raise self.fail(name, "is required")
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise self.fail(name, f"must be {what or 'made of ' + pattern.pattern}")
        return value

    def node_ref(self, name: str, *, optional: bool = False) -> Any:
        return self.text(name, NODE_ID, optional=optional, what="a node id (a-z, 0-9, _; up to 32)")

    def prompt(self, name: str, *, optional: bool = False) -> Any:
        return self.text(
            name, PROMPT_NAME, optional=optional, what="a prompt name (a-z, 0-9, _ or -)"
        )

    def integer(self, name: str, default: int | None, low: int, high: int) -> Any:
        value = self.raw.get(name, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.fail(name, f"must be a whole number from {low} to {high}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.raw.get(name, default)
        if not isinstance(value, bool):
            raise self.fail(name, "must be true or false")
        return value

    def mapping(self, name: str) -> Mapping[str, Any]:
        value = self.raw.get(name, {})
        if not isinstance(value, dict):
            raise self.fail(name, "must be an object")
        return value

    def plain(self, name: str) -> str:
        """Free text that is never compiled (a label): printable, no control characters."""
        value = self.raw.get(name, "")
        if not isinstance(value, str) or len(value) > MAX_TEXT or not value.isprintable():
            raise self.fail(name, f"must be printable text of up to {MAX_TEXT} characters")
        return value


def parse_plan(raw: object) -> Plan:
    """The plan in ``raw`` (the JSON form), or ``PlanError`` naming what is wrong.

    Only shape and characters are checked here; whether the graph makes sense is
    ``dialplan.validate``'s."""
    if not isinstance(raw, dict):
        raise PlanError("a dial plan must be a JSON object")
    top = _Reader(raw, "plan")
    entries = raw.get("entry_numbers")
    if not isinstance(entries, list) or not entries:
        raise top.fail("entry_numbers", "must be a non-empty list of numbers")
    for number in entries:
        if not isinstance(number, str) or not ENTRY_NUMBER.fullmatch(number):
            raise top.fail("entry_numbers", "must hold digits only (3 to 20)")
    nodes_raw = raw.get("nodes")
    if not isinstance(nodes_raw, list) or not nodes_raw:
        raise top.fail("nodes", "must be a non-empty list")
    if len(nodes_raw) > MAX_NODES:
        raise top.fail("nodes", f"may hold at most {MAX_NODES} nodes")
    nodes = tuple(_parse_node(n, i) for i, n in enumerate(nodes_raw))
    return Plan(
        entry_numbers=tuple(entries),
        start=top.node_ref("start"),
        nodes=nodes,
        name=top.plain("name"),
        announce_job_number=top.flag("announce_job_number", True),
    )


def _parse_node(raw: object, index: int) -> Node:  # noqa: PLR0911, PLR0912
    if not isinstance(raw, dict):
        raise PlanError(f"node {index + 1}: must be a JSON object", where=f"node {index + 1}")
    node_id = raw.get("id")
    where = (
        f"node '{node_id}'"
        if isinstance(node_id, str) and NODE_ID.fullmatch(node_id)
        else f"node {index + 1}"
    )
    r = _Reader(raw, where)
    ident = r.node_ref("id")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise r.fail("kind", "must be one of " + ", ".join(KINDS))
    match kind:
        case "play":
            return Play(ident, r.prompt("prompt"), r.node_ref("next"))
        case "menu":
            return Menu(
                ident,
                prompt=r.prompt("prompt"),
                choices=_choices(r),
                after_retries=r.node_ref("after_retries"),
                timeout_s=r.integer("timeout_s", 5, 1, 60),
                retries=r.integer("retries", 3, 1, 9),
                invalid_prompt=r.prompt("invalid_prompt", optional=True),
                timeout_prompt=r.prompt("timeout_prompt", optional=True),
            )
        case "language":
            value = raw.get("language")
            try:
                language = Language(value)
            except ValueError:
                raise r.fail(
                    "language", "must be one of " + ", ".join(x.value for x in Language)
                ) from None
            return SetLanguage(ident, language, r.node_ref("next"))
        case "time_switch":
            return TimeSwitch(
                ident,
                hours=_hours(r),
                open=r.node_ref("open"),
                closed=r.node_ref("closed"),
                holiday=r.node_ref("holiday", optional=True),
                make_up_day=_weekday(r, raw.get("make_up_day", "mon"), "make_up_day"),
            )
        case "holiday_greeting":
            greetings = []
            for key, prompt in r.mapping("greetings").items():
                if not HOLIDAY_KEY.fullmatch(key):
                    raise r.fail("greetings", "keys must be holiday keys (a-z, 0-9, _)")
                greetings.append((key, _Reader({"prompt": prompt}, where).prompt("prompt")))
            return HolidayGreeting(ident, tuple(greetings), r.node_ref("next"))
        case "queue":
            return Queue(
                ident,
                queue=r.text("queue", QUEUE_NAME, what="a queue name (A-Z, a-z, 0-9, _ or -)"),
                when_nobody=r.node_ref("when_nobody"),
                max_wait_s=r.integer("max_wait_s", None, 5, 3600),
                on_max_wait=r.node_ref("on_max_wait", optional=True),
                announce_position=r.flag("announce_position", False),
                announce_every_s=r.integer("announce_every_s", 0, 0, 600),
                keep_place_digit=r.text(
                    "keep_place_digit", DTMF_DIGIT, optional=True, what="one key: 0-9, * or #"
                ),
                keep_place=r.node_ref("keep_place", optional=True),
            )
        case "voicemail":
            return Voicemail(ident, r.prompt("prompt"))
        case "transfer":
            return Transfer(
                ident,
                department=r.plain("department"),
                number=r.text(
                    "number", DEPARTMENT_NUMBER, what="a department's number (3 to 20 digits)"
                ),
                on_failure=r.node_ref("on_failure", optional=True),
            )
        case _:
            return HangUp(ident, r.prompt("prompt", optional=True))


def _choices(r: _Reader) -> tuple[tuple[str, str], ...]:
    out = []
    for digit, target in r.mapping("choices").items():
        if not DTMF_DIGIT.fullmatch(digit):
            raise r.fail("choices", f"keys must be one key each (0-9, * or #), not {digit!r}")
        out.append((digit, _Reader({"to": target}, r.where).node_ref("to")))
    return tuple(out)


def _weekday(r: _Reader, value: object, name: str) -> Weekday:
    if not isinstance(value, str) or value.upper() not in Weekday.__members__:
        raise r.fail(name, "must be a weekday: mon, tue, wed, thu, fri, sat or sun")
    return Weekday[value.upper()]


_HHMM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$|^24:00$")


def _hours(r: _Reader) -> tuple[tuple[Weekday, tuple[Hours, ...]], ...]:
    out = []
    for day, periods in r.mapping("hours").items():
        weekday = _weekday(r, day, "hours")
        if not isinstance(periods, list):
            raise r.fail("hours", f"{day}: must be a list of [start, end] pairs")
        hours = []
        for period in periods:
            if (
                not isinstance(period, list)
                or len(period) != 2
                or not all(isinstance(p, str) and _HHMM.fullmatch(p) for p in period)
            ):
                raise r.fail("hours", f'{day}: each period is ["HH:MM", "HH:MM"]')
            start, end = (_minutes(p) for p in period)
            if end <= start:
                raise r.fail("hours", f"{day}: {period[0]}-{period[1]} ends before it starts")
            hours.append(Hours(start, end))
        out.append((weekday, tuple(sorted(hours))))
    return tuple(sorted(out))


def _minutes(text: str) -> int:
    hh, mm = text.split(":")
    return int(hh) * 60 + int(mm)
