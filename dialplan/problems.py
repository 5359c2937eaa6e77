"""What the validator says about a dial plan: the problems, and what it knows besides
the plan (pure)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from core import names
from dialplan.model import (
    Language,
    Node,
    Plan,
)

LANGUAGE_NAMES = {
    Language.MANDARIN: "Mandarin (zh)",
    Language.UYGHUR: "Uyghur (ug)",
    Language.KAZAKH: "Kazakh (kk)",
}

# R8: what the caller hears as an agent answers, in the caller's language
AGENT_GREETING_PROMPTS = (
    names.PROMPT_HELLO,
    names.PROMPT_AGENT_SERVING,
    *(f"{names.PROMPT_DIGIT_PREFIX}{d}" for d in range(10)),
)


@dataclass(frozen=True)
class Known:
    """What exists outside the plan: prompts per language, queues, and optionally the
    department numbers a transfer may dial, entry numbers other plans answer, and the
    holiday keys the calendar can name."""

    prompts: Mapping[Language, frozenset[str]]
    queues: frozenset[str]
    departments: frozenset[str] | None = None  # None: any well-formed number
    taken_entry_numbers: frozenset[str] = field(default_factory=frozenset)
    holidays: frozenset[str] | None = None  # None: holiday keys are not checked


class Severity(enum.StrEnum):
    ERROR = "error"  # blocks publishing
    WARNING = "warning"  # worth a look; publishing goes ahead


@dataclass(frozen=True)
class Problem:
    node: str | None  # the node it is about; None for the plan as a whole
    code: str  # stable, e.g. ``dangling_node``
    message: str  # what is wrong and what to do, for a person
    severity: Severity = Severity.ERROR


def blocking(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    """The problems that stop a plan from being published."""
    return tuple(p for p in problems if p.severity is Severity.ERROR)


@dataclass(frozen=True)
class PlanGraph:
    """What the graph rules share: the nodes by id and the ones a caller can reach."""

    nodes: dict[str, Node]  # id → node (the first of duplicates)
    reachable: frozenset[str]  # from the start


Rule = Callable[[Plan, Known, PlanGraph], Iterator[Problem]]


def show(value: str) -> str:
    """A value for a message: quoted, and cut short if long."""
    return repr(value if len(value) <= 40 else value[:40] + "…")
