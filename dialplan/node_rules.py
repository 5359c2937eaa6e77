"""The validator's rules that look at one node or value at a time (pure).

``dialplan.validate`` runs them with the rules that follow the graph.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from dialplan.model import (
    DEPARTMENT_NUMBER,
    DTMF_DIGIT,
    ENTRY_NUMBER,
    HOLIDAY_KEY,
    NODE_ID,
    PROMPT_NAME,
    QUEUE_NAME,
    HolidayGreeting,
    Menu,
    Node,
    Plan,
    Queue,
    TimeSwitch,
    Transfer,
    prompts_of,
    successors,
)
from dialplan.problems import Known, PlanGraph, Problem, Severity, show
from dialplan.queue_settings import conflicts

# ---- names --------------------------------------------------------------------------------


def _names_of(node: Node) -> Iterator[tuple[str, str, re.Pattern[str]]]:
    """(what, value, pattern) for every whitelisted value of ``node``."""
    yield "node id", node.id, NODE_ID
    for target in successors(node):
        yield "node reference", target, NODE_ID
    for prompt in prompts_of(node):
        yield "prompt name", prompt, PROMPT_NAME
    match node:
        case Menu():
            for digit, _ in node.choices:
                yield "menu digit", digit, DTMF_DIGIT
        case Queue():
            yield "queue name", node.queue, QUEUE_NAME
            if node.keep_place_digit is not None:
                yield "keep-place key", node.keep_place_digit, DTMF_DIGIT
        case Transfer():
            yield "department number", node.number, DEPARTMENT_NUMBER
        case HolidayGreeting():
            for key, _ in node.greetings:
                yield "holiday key", key, HOLIDAY_KEY
        case _:
            pass


def unsafe_values(plan: Plan, known: Known, g: PlanGraph) -> Iterator[Problem]:
    fields = [("entry number", n, ENTRY_NUMBER) for n in plan.entry_numbers]
    fields.append(("start", plan.start, NODE_ID))
    for what, value, pattern in fields:
        if not pattern.fullmatch(value):
            yield Problem(
                None,
                "unsafe_value",
                f"The plan's {what} {show(value)} has characters a dial plan may not "
                f"carry: use only {pattern.pattern}.",
            )
    for node in plan.nodes:
        for what, value, pattern in _names_of(node):
            if not pattern.fullmatch(value):
                yield Problem(
                    node.id,
                    "unsafe_value",
                    f"Node {show(node.id)}: the {what} {show(value)} has characters a "
                    f"dial plan may not carry: use only {pattern.pattern}.",
                )


# ---- menus --------------------------------------------------------------------------------


def menu_to_itself(node: Node) -> bool:
    return isinstance(node, Menu) and all(t == node.id for t in successors(node))


def menus(plan: Plan, known: Known, g: PlanGraph) -> Iterator[Problem]:
    for node in plan.nodes:
        if not isinstance(node, Menu):
            continue
        if not node.choices:
            yield Problem(
                node.id,
                "menu_no_choices",
                f"Menu '{node.id}' has no choices: add a key and the node it leads to, "
                "or use a play node if the caller need not choose.",
            )
        for digit, count in Counter(d for d, _ in node.choices).items():
            if count > 1:
                yield Problem(
                    node.id,
                    "menu_duplicate_digit",
                    f"Menu '{node.id}' has key {digit} {count} times: keep one.",
                )
        if node.choices and menu_to_itself(node):
            yield Problem(
                node.id,
                "menu_leads_nowhere",
                f"Every key of menu '{node.id}' and its after_retries lead back to "
                f"'{node.id}': a caller can never leave it. Point them to other nodes.",
            )
        elif node.after_retries == node.id:
            yield Problem(
                node.id,
                "menu_retries_forever",
                f"After its last retry menu '{node.id}' starts again: a caller who presses "
                "nothing stays for ever. Point after_retries to a queue, voicemail or "
                "hang-up.",
                Severity.WARNING,
            )


# ---- queues, transfers, entry numbers, calendar ----------------------------------------------


def queues(plan: Plan, known: Known, g: PlanGraph) -> Iterator[Problem]:
    for node in plan.nodes:
        if not isinstance(node, Queue):
            continue
        if node.queue not in known.queues:
            yield Problem(
                node.id,
                "unknown_queue",
                f"Queue node '{node.id}' sends callers to queue {show(node.queue)}, which "
                f"does not exist: choose one of {', '.join(sorted(known.queues)) or 'none'}.",
            )
        if (node.max_wait_s is None) != (node.on_max_wait is None):
            yield Problem(
                node.id,
                "queue_max_wait_incomplete",
                f"Queue node '{node.id}' needs both max_wait_s and on_max_wait (how long a "
                "caller waits, and where they go then): set both, or neither.",
            )
        if (node.keep_place_digit is None) != (node.keep_place is None):
            yield Problem(
                node.id,
                "queue_keep_place_incomplete",
                f"Queue node '{node.id}' needs both keep_place_digit and keep_place (the key "
                "a caller presses to be called back, and the node that takes them): set "
                "both, or neither.",
            )


def queue_announcements(plan: Plan, known: Known, g: PlanGraph) -> Iterator[Problem]:
    """app_queue's announcements are a setting of the queue, not of the node."""
    for queue, nodes in conflicts(plan.nodes).items():
        listed = ", ".join(f"'{n.id}'" for n in nodes)
        yield Problem(
            nodes[0].id,
            "queue_announce_conflict",
            f"Queue nodes {listed} send callers to queue {show(queue)} with different "
            "announcements (announce_position, announce_every_s), but a queue has one "
            "setting for all its callers: give them the same values.",
        )
    for node in plan.nodes:
        if isinstance(node, Queue) and node.announce_position and not node.announce_every_s:
            yield Problem(
                node.id,
                "queue_announce_never",
                f"Queue node '{node.id}' announces the caller's position, but "
                "announce_every_s is 0, so it is never announced: set how often (in "
                "seconds), or turn announce_position off.",
            )


def transfers(plan: Plan, known: Known, g: PlanGraph) -> Iterator[Problem]:
    entries = set(plan.entry_numbers) | known.taken_entry_numbers
    for node in plan.nodes:
        if not isinstance(node, Transfer):
            continue
        if known.departments is not None and node.number not in known.departments:
            yield Problem(
                node.id,
                "transfer_number_not_allowed",
                f"Transfer node '{node.id}' dials {show(node.number)}, which is not a "
                "department number: add the department first, or choose one of "
                f"{', '.join(sorted(known.departments)) or 'none'}.",
            )
        if node.number in entries:
            yield Problem(
                node.id,
                "transfer_to_entry_number",
                f"Transfer node '{node.id}' dials {node.number}, a number this hotline "
                "answers: the call would come straight back. Dial the department's own "
                "number.",
            )


def entry_numbers(plan: Plan, known: Known, g: PlanGraph) -> Iterator[Problem]:
    for number, count in Counter(plan.entry_numbers).items():
        if count > 1:
            yield Problem(
                None,
                "duplicate_entry_number",
                f"Entry number {show(number)} is listed {count} times: keep one.",
            )
        if number in known.taken_entry_numbers:
            yield Problem(
                None,
                "entry_number_taken",
                f"Entry number {show(number)} is already answered by another plan: remove "
                "it here or there.",
            )


def calendar(plan: Plan, known: Known, g: PlanGraph) -> Iterator[Problem]:
    for node in plan.nodes:
        if isinstance(node, TimeSwitch) and not any(hours for _, hours in node.hours):
            yield Problem(
                node.id,
                "time_switch_never_open",
                f"Time switch '{node.id}' has no working hours on any day, so it always "
                f"goes to '{node.closed}': add hours, or use a play node.",
                Severity.WARNING,
            )
        if isinstance(node, HolidayGreeting) and known.holidays is not None:
            for key, _ in node.greetings:
                if key not in known.holidays:
                    yield Problem(
                        node.id,
                        "unknown_holiday",
                        f"Holiday greeting '{node.id}' has a greeting for {show(key)}, a "
                        "holiday the calendar never names, so it is never played: use one "
                        f"of {', '.join(sorted(known.holidays))}.",
                        Severity.WARNING,
                    )
