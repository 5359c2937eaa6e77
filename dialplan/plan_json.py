"""A dial plan's JSON form (pure): what the admin API takes and PostgreSQL keeps.

``parse_plan`` reads it, checking shape and characters — every name, digit and number
against its whitelist in ``dialplan.model`` (asterisk.md §5), each error naming the node
and the field; whether the graph makes sense is ``dialplan.validate``'s.
``plan_to_json`` writes it; the two round-trip exactly.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from dialplan.model import (
    DEPARTMENT_NUMBER,
    DTMF_DIGIT,
    ENTRY_NUMBER,
    HOLIDAY_KEY,
    KIND_OF,
    KINDS,
    MAX_NODES,
    MAX_TEXT,
    NODE_ID,
    PROMPT_NAME,
    QUEUE_NAME,
    HangUp,
    HolidayGreeting,
    Hours,
    Language,
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
