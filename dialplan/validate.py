"""Validate a dial plan before it is published (pure): what would break a call.

``validate(plan, known)`` returns every problem found, each naming the node and saying
what to do; an empty tuple means the plan may be published. A problem is an *error*
(it blocks publishing: ``blocking``) or a *warning* (worth a look, publishes anyway).

The rules with their stable ``code``s (those that follow the graph are here, those that
look at one node at a time in ``dialplan.node_rules``):

- names: ``unsafe_value`` — a name or number outside its whitelist (``dialplan.model``;
  ``parse_plan`` already refuses these, this is the last gate before the compiler)
- references: ``duplicate_node``, ``dangling_node``, ``unreachable_node``
- flow: ``loop_without_input``, ``no_way_out``, ``no_help_in_working_hours``
- menus: ``menu_no_choices``, ``menu_duplicate_digit``, ``menu_leads_nowhere``,
  ``menu_retries_forever`` (warning)
- prompts: ``missing_prompt``, ``missing_agent_greeting_prompt`` (warning)
- queues: ``unknown_queue``, ``queue_max_wait_incomplete``, ``queue_keep_place_incomplete``,
  ``queue_announce_conflict`` (two nodes, one queue, different announcements: they are
  a setting of the queue), ``queue_announce_never`` (position on, no interval)
- transfers: ``transfer_number_not_allowed``, ``transfer_to_entry_number``
- entry numbers: ``duplicate_entry_number``, ``entry_number_taken``
- calendar: ``time_switch_never_open`` (warning), ``unknown_holiday`` (warning)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from dialplan import graph
from dialplan.model import DEFAULT_LANGUAGE, Language, Plan, Queue, prompts_of, successors
from dialplan.node_rules import (
    calendar,
    entry_numbers,
    menu_to_itself,
    menus,
    queue_announcements,
    queues,
    transfers,
    unsafe_values,
)
from dialplan.problems import (
    AGENT_GREETING_PROMPTS,
    LANGUAGE_NAMES,
    Known,
    PlanGraph,
    Problem,
    Rule,
    Severity,
    blocking,
)

__all__ = ["AGENT_GREETING_PROMPTS", "Known", "Problem", "Severity", "blocking", "validate"]


def validate(plan: Plan, known: Known) -> tuple[Problem, ...]:
    """Every problem of ``plan``, rule by rule, each rule's in the plan's node order."""
    nodes = graph.index(plan)
    g = PlanGraph(nodes, frozenset(graph.reachable(nodes, plan.start)))
    return tuple(problem for rule in RULES for problem in rule(plan, known, g))


# ---- references ---------------------------------------------------------------------------


def duplicate_nodes(plan: Plan, known: Known, g: PlanGraph) -> Iterator[Problem]:
    counts = Counter(n.id for n in plan.nodes)
    for node_id, count in counts.items():
        if count > 1:
            yield Problem(
                node_id,
                "duplicate_node",
                f"{count} nodes are called '{node_id}': give each node its own id.",
            )


def dangling_references(plan: Plan, known: Known, g: PlanGraph) -> Iterator[Problem]:
    if plan.start not in g.nodes:
        yield Problem(
            None,
            "dangling_node",
            f"The plan starts at '{plan.start}', but there is no node '{plan.start}': "
            "set start to an existing node or add that node.",
        )
    for node in plan.nodes:
        for target in dict.fromkeys(successors(node)):
            if target not in g.nodes:
                yield Problem(
                    node.id,
                    "dangling_node",
                    f"Node '{node.id}' goes to '{target}', but there is no node "
                    f"'{target}': add it or point '{node.id}' to an existing node.",
                )


def unreachable_nodes(plan: Plan, known: Known, g: PlanGraph) -> Iterator[Problem]:
    if plan.start not in g.nodes:
        return  # said once, by dangling_references
    for node_id in g.nodes:
        if node_id not in g.reachable:
            yield Problem(
                node_id,
                "unreachable_node",
                f"No caller can reach node '{node_id}' from the start '{plan.start}': "
                "point a node to it, or delete it.",
            )


# ---- flow ---------------------------------------------------------------------------------


def loops_without_input(plan: Plan, known: Known, g: PlanGraph) -> Iterator[Problem]:
    for part in graph.cycles(g.nodes, graph.without_input):
        listed = ", ".join(f"'{n}'" for n in part)
        who = f"Nodes {listed} send" if len(part) > 1 else f"Node {listed} sends"
        yield Problem(
            part[0],
            "loop_without_input",
            f"{who} a caller round in a loop with no menu or queue to wait "
            "for them (with nobody signed in, a queue sends callers on at once): a caller "
            "would go round for ever. Send one of them to a menu, a queue, voicemail or "
            "hang-up instead.",
        )


def no_way_out(plan: Plan, known: Known, g: PlanGraph) -> Iterator[Problem]:
    ends = [n.id for n in g.nodes.values() if isinstance(n, graph.END_KINDS)]
    can_end = graph.reaching(g.nodes, ends)
    order = {node_id: i for i, node_id in enumerate(g.nodes)}
    for node_id in sorted(g.reachable - can_end, key=order.__getitem__):
        if not menu_to_itself(g.nodes[node_id]):  # said by menus()
            yield Problem(
                node_id,
                "no_way_out",
                f"A caller at node '{node_id}' can never reach a queue, voicemail, a "
                "transfer or hang-up: every way on leads back or nowhere. Point one of "
                "its ways (or a node after it) to one of those.",
            )


def no_help_in_working_hours(plan: Plan, known: Known, g: PlanGraph) -> Iterator[Problem]:
    if plan.start not in g.nodes:
        return
    for node_id in graph.reachable(g.nodes, plan.start, graph.in_working_hours):
        if isinstance(g.nodes[node_id], graph.HELP_KINDS):
            return
    yield Problem(
        None,
        "no_help_in_working_hours",
        "In working hours no caller can reach a person or leave a message: from the start, "
        "the time switches' open branches and the menus' choices reach no queue, voicemail "
        "or transfer. Add one on a working-hours path.",
    )


# ---- prompts ------------------------------------------------------------------------------


def _missing(known: Known, prompt: str, languages: Iterable[Language]) -> list[Language]:
    return [lang for lang in languages if prompt not in known.prompts.get(lang, frozenset())]


def _languages(languages: Iterable[Language]) -> list[Language]:
    order = list(Language)
    return sorted(languages, key=order.index)


def missing_prompts(plan: Plan, known: Known, g: PlanGraph) -> Iterator[Problem]:
    at = graph.languages_at(plan, g.nodes)
    for node in g.nodes.values():
        # an unreachable node (an error of its own): Mandarin, until a way to it says more
        languages = _languages(at.get(node.id, {DEFAULT_LANGUAGE}))
        for prompt in dict.fromkeys(prompts_of(node)):
            missing = _missing(known, prompt, languages)
            if missing:
                which = " and ".join(LANGUAGE_NAMES[lang] for lang in missing)
                yield Problem(
                    node.id,
                    "missing_prompt",
                    f"Node '{node.id}' plays prompt '{prompt}', which has no recording in "
                    f"{which}: upload one or generate it from text in that language.",
                )


def missing_agent_greeting(plan: Plan, known: Known, g: PlanGraph) -> Iterator[Problem]:
    if not plan.announce_job_number:
        return
    at = graph.languages_at(plan, g.nodes)
    for node in g.nodes.values():
        if not isinstance(node, Queue) or node.id not in at:
            continue
        for lang in _languages(at[node.id]):
            missing = [p for p in AGENT_GREETING_PROMPTS if _missing(known, p, [lang])]
            if missing:
                yield Problem(
                    node.id,
                    "missing_agent_greeting_prompt",
                    f"Callers in {LANGUAGE_NAMES[lang]} reach queue '{node.id}', but the "
                    f"agent's greeting (R8) lacks {', '.join(missing)} in that language: "
                    "upload or generate them, or callers hear the job number incompletely.",
                    Severity.WARNING,
                )


RULES: tuple[Rule, ...] = (
    unsafe_values,
    entry_numbers,
    duplicate_nodes,
    dangling_references,
    unreachable_nodes,
    loops_without_input,
    no_way_out,
    no_help_in_working_hours,
    menus,
    missing_prompts,
    missing_agent_greeting,
    queues,
    queue_announcements,
    transfers,
    calendar,
)
