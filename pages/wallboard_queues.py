"""The queues' callers as the wallboard shows them: how many wait, and the longest wait.

``QueueCallers`` is the pure state: app_queue's ``QueueCallerJoin`` / ``QueueCallerLeave``
(the same events ``calls.service.QueueWaiting`` counts for ``/metrics``), keyed by the
caller's channel, with the time each joined; a ``QueueStatus`` reading (its
``QueueEntry`` rows carry each caller's wait) replaces it, for callers who joined while
the service was away. ``QueueWatch`` attaches it to the AMI adapter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ami import AmiClient
from ami.actions import QueueStatus
from ami.errors import AmiError
from ami.events import Event, QueueCallerJoin, QueueCallerLeave, QueueEntry, QueueParams
from core.logging import get_logger
from pages.wallboard_model import QueueView

log = get_logger("pages.wallboard")

# QueueStatus lists every member too (a thousand at a large centre); a member filter
# nobody matches leaves only the queues' parameters and their callers
NO_MEMBER = "hotline-wallboard-no-member"


@dataclass
class QueueCallers:
    """Per queue: the callers waiting (channel unique id → when it joined, epoch s)."""

    queues: tuple[str, ...] = ()  # shown even while empty
    joined: dict[str, dict[str, float]] = field(default_factory=dict)

    def join(self, queue: str, uniqueid: str, at: float) -> None:
        self.joined.setdefault(queue, {})[uniqueid] = at

    def leave(self, queue: str, uniqueid: str) -> None:
        self.joined.get(queue, {}).pop(uniqueid, None)

    def read(
        self, params: Iterable[str], entries: Iterable[tuple[str, str, float]], at: float
    ) -> None:
        """A ``QueueStatus`` reading: the queues listed, and (queue, unique id, wait s)."""
        fresh: dict[str, dict[str, float]] = {queue: {} for queue in params}
        for queue, uniqueid, wait_s in entries:
            fresh.setdefault(queue, {})[uniqueid] = at - wait_s
        self.joined = fresh

    def view(self, now: float) -> list[QueueView]:
        names = sorted(set(self.queues) | set(self.joined))
        out = []
        for queue in names:
            callers = self.joined.get(queue, {})
            oldest = min(callers.values()) if callers else None
            longest = None if oldest is None else max(now - oldest, 0.0)
            out.append(QueueView(queue, len(callers), longest))
        return out


class QueueWatch:
    """``QueueCallers`` fed by AMI; ``on_change`` is called at each join and leave."""

    def __init__(
        self,
        ami: AmiClient,
        queues: tuple[str, ...],
        on_change: Callable[[], None],
        clock: Callable[[], float],
    ) -> None:
        self.ami = ami
        self.callers = QueueCallers(queues)
        self.on_change = on_change
        self.clock = clock

    def attach(self) -> None:
        self.ami.on_event("QueueCaller*", self.on_event)

    def on_event(self, event: Event) -> None:
        if isinstance(event, QueueCallerJoin):
            self.callers.join(event.queue, event.uniqueid, self.clock())
        elif isinstance(event, QueueCallerLeave):
            self.callers.leave(event.queue, event.uniqueid)
        else:
            return
        self.on_change()

    async def resync(self) -> None:
        """The callers waiting now, from Asterisk; left as it was if AMI cannot say."""
        if not self.ami.is_ready:
            return
        try:
            reply = await self.ami.send(QueueStatus(member=NO_MEMBER))
        except AmiError as exc:
            log.warning("queue status not read for the wallboard", error=exc.code)
            return
        params = [e.queue for e in reply.events if isinstance(e, QueueParams)]
        entries = [
            (e.queue, e.uniqueid, float(e.wait_s))
            for e in reply.events
            if isinstance(e, QueueEntry)
        ]
        self.callers.read(params, entries, self.clock())
        self.on_change()

    def view(self) -> list[QueueView]:
        return self.callers.view(self.clock())
