"""Validate a dial plan before it is published (pure): what would break a call.

``validate(plan, known)`` returns every problem found, each naming the node and saying
what to do; an empty tuple means the plan may be published.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dialplan.model import Language, Plan


@dataclass(frozen=True)
class Known:
    """What exists outside the plan: prompts per language, queues."""

    prompts: Mapping[Language, frozenset[str]]
    queues: frozenset[str]


@dataclass(frozen=True)
class Problem:
    node: str | None  # the node it is about; None for the plan as a whole
    code: str  # stable, e.g. ``dangling_node``
    message: str  # what is wrong and what to do, for a person


def validate(plan: Plan, known: Known) -> tuple[Problem, ...]:
    raise NotImplementedError  # issue 10: filled in by the validator work
