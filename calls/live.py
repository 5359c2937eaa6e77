"""The calls in progress, as the agents' consoles see them: who called, the menu path so
far, and a hold running now (R9).

The same pure fold as the recorder (``calls.model``: ``begin`` at the trunk channel's
``Newchannel``, ``step`` for every event after it), kept by Linkedid while the call
lasts, plus the caller id app_queue gave in ``AgentCalled`` (for a call whose start
this fold did not see: a callback dialled out, or a call already going when the
service started). Listeners hear the Linkedid whenever a hold starts or ends, or the
call ends. Nothing here writes anything: the recorder keeps the records.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from ami import AmiClient
from ami.events import AgentCalled, Event, Hangup, Newchannel
from calls.model import (
    CallDraft,
    CallRecord,
    asterisk_time,
    begin,
    call_for,
    starts_call,
    step,
)
from core.logging import get_logger

log = get_logger("calls")

# a call this old is dropped when another begins (its end was missed: AMI reconnected)
STALE_AFTER = timedelta(hours=12)
EVENTS = ("Newchannel", "UserEvent", "Queue*", "Agent*", "Hold", "Unhold", "Hangup*")
EVENTS_ALSO = ("SoftHangupRequest",)

Listener = Callable[[str], None]


class LiveCalls:
    def __init__(self) -> None:
        self.drafts: dict[str, CallDraft] = {}
        self.offered: dict[str, str] = {}  # Linkedid -> AgentCalled's CallerIDNum
        self._listeners: list[Listener] = []

    def attach(self, ami: AmiClient) -> None:
        for pattern in (*EVENTS, *EVENTS_ALSO):
            ami.on_event(pattern, self.on_event)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def draft(self, linkedid: str) -> CallDraft | None:
        return self.drafts.get(linkedid)

    def on_event(self, event: Event) -> None:
        if isinstance(event, Newchannel) and starts_call(event):
            self._forget_stale(asterisk_time(event))
            self.drafts.pop(event.linkedid, None)  # at the end: kept in the order calls began
            self.drafts[event.linkedid] = begin(event)
            return
        linkedid = call_for(self.drafts, event)
        if not linkedid:
            return
        if isinstance(event, AgentCalled) and event.caller_id_num not in ("", "<unknown>"):
            self.offered[linkedid] = event.caller_id_num
        draft = self.drafts.get(linkedid)
        if draft is None:
            if isinstance(event, Hangup) and event.uniqueid == linkedid:
                self.offered.pop(linkedid, None)
            return
        after = step(draft, event)
        if isinstance(after, CallRecord):
            del self.drafts[linkedid]
            self.offered.pop(linkedid, None)
            self._tell(linkedid)
            return
        self.drafts[linkedid] = after
        if after.holds != draft.holds:
            self._tell(linkedid)

    def _forget_stale(self, now: datetime) -> None:
        """Drafts are kept in the order their calls began: the stale are at the front,
        and the look stops at the first that is not (not a walk of every call per call)."""
        while self.drafts:
            linkedid, draft = next(iter(self.drafts.items()))
            if now - draft.entered_at <= STALE_AFTER:
                return
            del self.drafts[linkedid]
            self.offered.pop(linkedid, None)

    def _tell(self, linkedid: str) -> None:
        for listener in list(self._listeners):
            try:
                listener(linkedid)
            except Exception:  # a console's bug must not stop the fold
                log.exception("live call listener failed", call=linkedid)
