"""The dial-plan editor's view model (pure): a plan as tree rows from its start node, a
node as form fields and back, the validator's problems by node.

A node's form is its JSON form (``dialplan.plan_json``) field by field, as text; what
comes back from the form is made into that JSON again and handed to the same service
call as the API's ``PUT /api/admin/dialplan/drafts/{draft}``, so ``parse_plan`` and the
validator decide exactly as they do for the API. Only what a text field cannot say
plainly is read here: key → node lines (a menu's choices, a holiday greeting's
prompts) and a time switch's hours, one weekday a line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dialplan.model import (
    KIND_OF,
    HangUp,
    HolidayGreeting,
    Menu,
    Node,
    Plan,
    PlanError,
    Play,
    Queue,
    SetLanguage,
    TimeSwitch,
    Transfer,
    Voicemail,
    Weekday,
)
from dialplan.validate import Problem

# widgets: ref (a node id), prompt, text, int, bool, pairs (key=value lines),
# hours (a weekday's periods a line), language, weekday
Field = tuple[str, str, bool]  # name, widget, required

FIELDS: dict[str, tuple[Field, ...]] = {
    "play": (("prompt", "prompt", True), ("next", "ref", True)),
    "menu": (
        ("prompt", "prompt", True),
        ("choices", "pairs", True),
        ("after_retries", "ref", True),
        ("timeout_s", "int", False),
        ("retries", "int", False),
        ("invalid_prompt", "prompt", False),
        ("timeout_prompt", "prompt", False),
    ),
    "language": (("language", "language", True), ("next", "ref", True)),
    "time_switch": (
        ("hours", "hours", True),
        ("open", "ref", True),
        ("closed", "ref", True),
        ("holiday", "ref", False),
        ("make_up_day", "weekday", True),
    ),
    "holiday_greeting": (("greetings", "pairs", True), ("next", "ref", True)),
    "queue": (
        ("queue", "text", True),
        ("when_nobody", "ref", True),
        ("max_wait_s", "int", False),
        ("on_max_wait", "ref", False),
        ("announce_position", "bool", False),
        ("announce_every_s", "int", False),
        ("keep_place_digit", "text", False),
        ("keep_place", "ref", False),
    ),
    "voicemail": (("prompt", "prompt", True),),
    "transfer": (
        ("department", "text", True),
        ("number", "text", True),
        ("on_failure", "ref", False),
    ),
    "hang_up": (("prompt", "prompt", False),),
}
KIND_NAMES = tuple(FIELDS)
FORM_MAX = 4000  # characters of one field as posted
_PAIR = re.compile(r"^\s*([^=\s]+)\s*=\s*(\S+)\s*$")
_PERIOD = re.compile(r"^(\d\d:\d\d)-(\d\d:\d\d)$")


# ---- the tree -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TreeRow:
    node: str
    kind: str | None  # None: the id names no node (a dangling reference)
    depth: int
    via: str  # the field that leads here from the row's parent ("" for a root)
    key: str  # the menu key or holiday, when ``via`` is one of several
    first: bool  # False: shown above already (a loop or a join); no subtree again
    reachable: bool


def edges(node: Node) -> tuple[tuple[str, str, str], ...]:
    """(field, key, target) of each way on from ``node``, in the node's order."""
    match node:
        case Play() | SetLanguage() | HolidayGreeting():
            return (("next", "", node.next),)
        case Menu():
            keys = tuple(("choices", d, t) for d, t in node.choices)
            return (*keys, ("after_retries", "", node.after_retries))
        case TimeSwitch():
            ways: tuple[tuple[str, str | None], ...] = (
                ("open", node.open),
                ("closed", node.closed),
                ("holiday", node.holiday),
            )
            return tuple((f, "", t) for f, t in ways if t)
        case Queue():
            ways = (
                ("when_nobody", node.when_nobody),
                ("on_max_wait", node.on_max_wait),
                ("keep_place", node.keep_place),
            )
            return tuple((f, "", t) for f, t in ways if t)
        case Transfer():
            return (("on_failure", "", node.on_failure),) if node.on_failure else ()
        case Voicemail() | HangUp():
            return ()


def tree_rows(plan: Plan) -> list[TreeRow]:
    """Depth first from the start; then each node no caller reaches, as a root of its
    own. A node met again is a row without its subtree (``first`` False)."""
    kinds = {n.id: KIND_OF[type(n)] for n in reversed(plan.nodes)}
    by_id = {n.id: n for n in reversed(plan.nodes)}  # the first of duplicates wins
    rows: list[TreeRow] = []
    shown: set[str] = set()

    def walk(root: str, reachable: bool) -> None:
        todo: list[tuple[str, int, str, str]] = [(root, 0, "", "")]
        while todo:
            node_id, depth, via, key = todo.pop()
            first = node_id not in shown
            rows.append(TreeRow(node_id, kinds.get(node_id), depth, via, key, first, reachable))
            if not first or node_id not in by_id:
                continue
            shown.add(node_id)
            todo.extend((t, depth + 1, f, k) for f, k, t in reversed(edges(by_id[node_id])))

    walk(plan.start, True)
    for node in plan.nodes:
        if node.id not in shown:
            walk(node.id, False)
    return rows


def problems_by_node(problems: Iterable[Problem]) -> dict[str, list[Problem]]:
    """The validator's problems by the node they name; the plan's own under ``""``."""
    out: dict[str, list[Problem]] = {}
    for problem in problems:
        out.setdefault(problem.node or "", []).append(problem)
    return out


# ---- a node as a form and back ------------------------------------------------------------


def form_values(node: Mapping[str, Any]) -> dict[str, str]:
    """A node's JSON form as the text its form fields show."""
    out: dict[str, str] = {}
    for name, widget, _ in FIELDS[node["kind"]]:
        value = node.get(name)
        if value is None:
            out[name] = ""
        elif widget == "pairs":
            out[name] = "\n".join(f"{k}={v}" for k, v in value.items())
        elif widget == "hours":
            out[name] = "\n".join(
                f"{day} " + " ".join(f"{a}-{b}" for a, b in periods)
                for day, periods in value.items()
            )
        elif widget == "bool":
            out[name] = "on" if value else ""
        else:
            out[name] = str(value)
    return out


def node_from_form(kind: str, node_id: str, form: Mapping[str, Any]) -> dict[str, Any]:
    """The node's JSON form from its form's fields: blank means not set (the default);
    a number that is not one stays text for ``parse_plan`` to refuse at its field."""
    if kind not in FIELDS:
        raise PlanError(f"node '{node_id}': kind must be one of {', '.join(FIELDS)}", field="kind")
    where = f"node '{node_id}'"
    out: dict[str, Any] = {"kind": kind, "id": node_id}
    for name, widget, _ in FIELDS[kind]:
        raw = str(form.get(name, ""))[:FORM_MAX].strip()
        if widget == "bool":
            out[name] = raw in ("on", "true", "1")
        elif not raw:
            continue
        elif widget == "int":
            out[name] = int(raw) if raw.isdigit() and len(raw) < 10 else raw
        elif widget == "pairs":
            out[name] = _pairs(raw, name, where)
        elif widget == "hours":
            out[name] = _hours(raw, where)
        else:
            out[name] = raw
    return out


def _pairs(raw: str, name: str, where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in filter(None, (x.strip() for x in re.split(r"[\n,;]", raw))):
        match = _PAIR.fullmatch(line)
        if match is None:
            raise PlanError(
                f"{where}: {name}: {line[:40]!r} should read key=node", field=name, where=where
            )
        out[match.group(1)] = match.group(2)
    return out


def _hours(raw: str, where: str) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    for line in filter(None, (x.strip() for x in raw.splitlines())):
        day, *periods = line.split()
        spans = [_PERIOD.fullmatch(p) for p in periods]
        if not periods or not all(spans):
            raise PlanError(
                f"{where}: hours: {line[:40]!r} should read like 'mon 09:00-13:00 15:30-19:30'",
                field="hours",
                where=where,
            )
        out[day.lower()] = [[m.group(1), m.group(2)] for m in spans if m]
    return out


def new_node(kind: str, node_id: str, then: str, prompt: str, queue: str) -> dict[str, Any]:
    """A node to add, its ways on all leading to ``then``: a start the admin edits."""
    made: dict[str, dict[str, Any]] = {
        "play": {"prompt": prompt, "next": then},
        "menu": {"prompt": prompt, "choices": {"1": then}, "after_retries": then},
        "language": {"language": "zh", "next": then},
        "time_switch": {
            "hours": {d.name.lower(): [["09:00", "17:00"]] for d in Weekday if d <= Weekday.FRI},
            "open": then,
            "closed": then,
        },
        "holiday_greeting": {"greetings": {}, "next": then},
        "queue": {"queue": queue, "when_nobody": then},
        "voicemail": {"prompt": prompt},
        "transfer": {"department": "部门", "number": "000", "on_failure": then},
        "hang_up": {},
    }
    if kind not in made:
        raise PlanError(f"kind must be one of {', '.join(made)}", field="kind")
    return {"kind": kind, "id": node_id, **made[kind]}


def with_node(plan: Mapping[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """The plan with ``node`` in place of the node of its id (or added at the end)."""
    nodes = list(plan["nodes"])
    at = next((i for i, n in enumerate(nodes) if n.get("id") == node["id"]), None)
    if at is None:
        nodes.append(node)
    else:
        nodes[at] = node
    return {**plan, "nodes": nodes}


def without_node(plan: Mapping[str, Any], node_id: str) -> dict[str, Any]:
    return {**plan, "nodes": [n for n in plan["nodes"] if n.get("id") != node_id]}


def plan_settings(plan: Mapping[str, Any], form: Mapping[str, Any]) -> dict[str, Any]:
    """The plan's own fields from its form: name, start, entry numbers (space-separated),
    R8's job-number announcement."""
    entries = str(form.get("entry_numbers", ""))[:FORM_MAX].replace(",", " ").split()
    return {
        **plan,
        "name": str(form.get("name", ""))[:FORM_MAX].strip(),
        "start": str(form.get("start", ""))[:FORM_MAX].strip(),
        "entry_numbers": entries,
        "announce_job_number": form.get("announce_job_number") == "on",
    }
