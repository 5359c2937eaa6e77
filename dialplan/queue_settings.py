"""The live plan's queue announcements as app_queue settings (pure, golden-tested).

app_queue knows position / expected-wait announcements only as queue-level settings of
``queues.conf``, never as ``Queue()`` arguments. So the live version's queue nodes
compile into ``names.PLANS_DIR``/``QUEUES_FILE``, which the rendered ``queues.conf``
pulls in last with ``#tryinclude`` (an absent file is fine): one ``[<queue>](+)``
addition per queue that announces (Asterisk's template-addition syntax, which adds
to the section ``queues.conf`` defined above it). A queue the plan does not announce
in gets nothing, so ``queues.conf``'s own values (all off) apply again after
``QueueReload`` with parameters, which re-reads each queue's settings from scratch
(and keeps its dynamic members and their pause state).

The announcements are Asterisk's own English sound files (``queue-youarenext``,
``queue-thereare``, ``queue-callswaiting``, ``queue-holdtime``, …); a Mandarin set is a
later step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core import names
from core.errors import HotlineError
from dialplan.model import QUEUE_NAME, Node, Queue

QUEUES_FILE = names.PLANS_QUEUES_FILE
_HEADER = "; Compiled by hotline (dialplan/queue_settings.py) — do not edit by hand."


class QueueSettingsError(HotlineError):
    """Queue nodes that cannot become one queue's settings (the validator says so first)."""

    code = "dialplan.compile_refused"


@dataclass(frozen=True)
class Announce:
    """What a queue's waiting callers hear, every ``every_s`` seconds (0: nothing)."""

    every_s: int
    position: bool

    @classmethod
    def of(cls, node: Queue) -> Announce:
        return cls(node.announce_every_s, node.announce_position)

    def lines(self) -> list[str]:
        if not self.every_s:
            return []
        return [
            # the first announcement comes as the caller starts waiting, then every_s
            # apart; app_queue's own floor (15 s by default) follows the plan's interval
            f"announce-frequency = {self.every_s}",
            f"min-announce-frequency = {self.every_s}",
            f"announce-position = {'yes' if self.position else 'no'}",
            # the expected wait, from app_queue's running average of hold times
            "announce-holdtime = yes",
        ]


def conflicts(nodes: Iterable[Node]) -> dict[str, list[Queue]]:
    """Queue name → its nodes, for every queue whose nodes disagree on announcements
    (one queue has one setting; ``node_rules.queue_announcements`` refuses these)."""
    by_queue: dict[str, list[Queue]] = {}
    for node in nodes:
        if isinstance(node, Queue):
            by_queue.setdefault(node.queue, []).append(node)
    return {
        queue: found
        for queue, found in by_queue.items()
        if len({Announce.of(n) for n in found}) > 1
    }


def announcements(nodes: Iterable[Node]) -> dict[str, Announce]:
    """Queue name → its announcement, for the queues ``nodes`` send callers to."""
    nodes = tuple(nodes)
    clash = conflicts(nodes)
    if clash:
        raise QueueSettingsError(
            f"queue nodes disagree on the announcements of queue(s) {', '.join(sorted(clash))}"
        )
    return {n.queue: Announce.of(n) for n in nodes if isinstance(n, Queue)}


def compile_queue_settings(announced: Mapping[str, Announce]) -> str:
    """``QUEUES_FILE``'s text: one ``[<queue>](+)`` addition per queue that announces."""
    lines = [_HEADER]
    for queue, announce in sorted(announced.items()):
        if not QUEUE_NAME.fullmatch(queue):
            raise QueueSettingsError(f"queue name {queue!r} is not compilable")
        if not 0 <= announce.every_s <= 600:
            raise QueueSettingsError(f"announce_every_s={announce.every_s} not in 0..600")
        if announce.every_s:
            lines += ["", f"[{queue}](+)", *announce.lines()]
    return "\n".join(lines) + "\n"
