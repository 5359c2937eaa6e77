"""A dial plan as a graph (pure): which nodes a caller can reach, and how.

The validator asks these questions; the compiler and the simulator may too. Every
function tolerates a broken draft: a reference to a node that does not exist is an
edge to nowhere, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from dialplan.model import (
    DEFAULT_LANGUAGE,
    HangUp,
    HolidayGreeting,
    Language,
    Node,
    Plan,
    Play,
    Queue,
    SetLanguage,
    TimeSwitch,
    Transfer,
    Voicemail,
    successors,
)

Edges = Callable[[Node], tuple[str, ...]]

# A caller who reaches one of these has got somewhere: a person, a message, a department
# or the end of the call.
END_KINDS = (Queue, Voicemail, Transfer, HangUp)
# A caller who reaches one of these can be helped by a person (or leaves a message).
HELP_KINDS = (Queue, Voicemail, Transfer)


def index(plan: Plan) -> dict[str, Node]:
    """Node id → node; with duplicate ids, the first one wins (as the validator says)."""
    out: dict[str, Node] = {}
    for node in plan.nodes:
        out.setdefault(node.id, node)
    return out


def without_input(node: Node) -> tuple[str, ...]:
    """Where a caller goes from ``node`` at once, without pressing a key or waiting.

    A menu waits for a key. A queue waits for an agent (its maximum wait, the caller's
    keep-place key), except that with nobody signed in it sends the caller on at once."""
    match node:
        case Play() | SetLanguage() | HolidayGreeting():
            return (node.next,)
        case TimeSwitch():
            return tuple(t for t in (node.open, node.closed, node.holiday) if t is not None)
        case Queue():
            return (node.when_nobody,)
        case Transfer():
            return (node.on_failure,) if node.on_failure else ()
        case _:
            return ()


def in_working_hours(node: Node) -> tuple[str, ...]:
    """Where a caller can go from ``node`` at a working-hours moment on a working day."""
    if isinstance(node, TimeSwitch):
        return (node.open,) if any(hours for _, hours in node.hours) else (node.closed,)
    return successors(node)


def reachable(nodes: Mapping[str, Node], start: str, edges: Edges = successors) -> list[str]:
    """Node ids reachable from ``start`` along ``edges``, in the order first met."""
    if start not in nodes:
        return []
    seen = {start}
    order = [start]
    for node_id in order:  # grows while we walk it: a breadth-first search
        for target in edges(nodes[node_id]):
            if target in nodes and target not in seen:
                seen.add(target)
                order.append(target)
    return order


def reaching(nodes: Mapping[str, Node], goals: Iterable[str]) -> set[str]:
    """Node ids from which one of ``goals`` can be reached (the goals included)."""
    back: dict[str, list[str]] = {}
    for node in nodes.values():
        for target in successors(node):
            back.setdefault(target, []).append(node.id)
    found = set(goals)
    todo = list(found)
    while todo:
        for source in back.get(todo.pop(), ()):
            if source not in found:
                found.add(source)
                todo.append(source)
    return found


def cycles(nodes: Mapping[str, Node], edges: Edges) -> list[list[str]]:
    """The strongly connected parts of the graph that hold a cycle (Tarjan, iterative),
    each as its node ids in plan order."""
    order = {node_id: i for i, node_id in enumerate(nodes)}
    number: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def targets(node_id: str) -> list[str]:
        return [t for t in edges(nodes[node_id]) if t in nodes]

    for root in nodes:
        if root in number:
            continue
        work = [(root, iter(targets(root)))]
        number[root] = low[root] = len(number)
        stack.append(root)
        on_stack.add(root)
        while work:
            node_id, it = work[-1]
            target = next(it, None)
            if target is not None:
                if target not in number:
                    number[target] = low[target] = len(number)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(targets(target))))
                elif target in on_stack:
                    low[node_id] = min(low[node_id], number[target])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node_id])
            if low[node_id] == number[node_id]:
                part = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    part.append(member)
                    if member == node_id:
                        break
                if len(part) > 1 or node_id in targets(node_id):
                    found.append(sorted(part, key=order.__getitem__))
    return sorted(found, key=lambda part: order[part[0]])


def languages_at(plan: Plan, nodes: Mapping[str, Node]) -> dict[str, set[Language]]:
    """For each node reachable from the start, the languages a caller can be in there
    (Mandarin at the start; a language node changes it for what follows)."""
    out: dict[str, set[Language]] = {}
    if plan.start not in nodes:
        return out
    todo = [(plan.start, DEFAULT_LANGUAGE)]
    while todo:
        node_id, language = todo.pop()
        if language in out.setdefault(node_id, set()):
            continue
        out[node_id].add(language)
        node = nodes[node_id]
        after = node.language if isinstance(node, SetLanguage) else language
        todo.extend((t, after) for t in successors(node) if t in nodes)
    return out
