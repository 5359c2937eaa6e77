"""A dial plan as data: entry numbers and a graph of nodes (pure; no I/O).

What an admin edits and what the validator, the simulator and the compiler read. A
caller enters at ``Plan.start`` and moves from node to node by the node's rule: a
``Play`` goes on to ``next``, a ``Menu`` by the digit pressed, a ``TimeSwitch`` by the
calendar and the clock, and so on, until a node that ends the call for the IVR
(``Queue``, ``Voicemail``, ``Transfer``, ``HangUp``).

Every name here is checked at the edge (``parse_plan``) against a whitelist before it
can reach the compiler: node ids, prompt names, queue names, digits and numbers never
carry anything but the characters their pattern allows (asterisk.md §5).

The JSON form (``dialplan.plan_json``: ``plan_to_json`` / ``parse_plan``) is what the
admin API takes and what PostgreSQL keeps; it round-trips exactly.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time

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
