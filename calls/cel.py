"""Rebuild a call record from Asterisk's own CEL rows: a pure function, no I/O.

Asterisk writes CEL to PostgreSQL whether the service runs or not; after downtime the
service turns each finished call it did not record into the same ``CallRecord`` the
AMI fold (``calls.model``) would have produced:

- entered: the trunk channel's CHAN_START (its uniqueid is the linkedid);
- greeting done: USER_DEFINED ``HOTLINE_GREETING_DONE`` (dialplan CELGenUserEvent);
- queue joined: APP_START of ``Queue`` on the caller's channel;
- agent offered: the first CHAN_START of a member's Local channel;
- agent answered: the caller's channel BRIDGE_ENTER while in ``Queue``;
- ended: the caller's channel HANGUP; the first HANGUP of the call with a
  ``hangupsource`` says who hung up (the caller's channel, or the agent's);
- cut by the system (``core stop``/``core restart``): no HANGUP of the call names a
  source — nobody sent a BYE, Asterisk tore the channels down — and the call was in
  the greeting, with an agent, or in the queue without app_queue giving up on it
  (an empty ``queuestatus`` in HOTLINE_CALL_END; a queue timeout sets one);
- transferred: the agent's side blind-transferred the caller's channel out of the
  queue's bridge after the agent answered (BLINDTRANSFER, its ``transferee_channel_uniqueid``
  the caller's; the department transfer, R11b) — what app_queue's ``AgentComplete``
  ``Reason: transfer`` tells the live recorder. It outranks a hang-up without a source:
  whatever ends the call after the transfer is the department's leg, not the hotline's;
- the agent's job number: USER_DEFINED ``HOTLINE_CALL_END`` (``member=``), written by
  the caller's hangup handler from app_queue's MEMBERNAME;
- the menu path, plan version, language and the node the call ended in: USER_DEFINED
  ``HOTLINE_NODE`` rows on the caller's channel (``<version>/<node>/<language>``),
  folded by ``calls.path`` exactly as the live recorder folds ``HotlineNode`` events;
- holds: unknown (``None``). Asterisk 22's CEL has no hold event types, and a hold is
  no dialplan step that could write one; only the live recorder sees ``Hold``/``Unhold``.

Rows are taken in ``(eventtime, seq)`` order: ``seq`` is the CEL row's id, which
breaks ties between two steps logged in the same microsecond.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs

from calls.model import ENTRY_CONTEXT, CallRecord, HungUp, Outcome, Source
from calls.path import MenuPath
from core import names

MEMBER_CONTEXT = names.AGENTS_LOCAL
GREETING_DONE = names.CEL_GREETING_DONE
CALL_END = names.CEL_CALL_END
NODE = names.CEL_NODE


@dataclass(frozen=True)
class CelRow:
    eventtype: str
    eventtime: datetime  # UTC, aware
    uniqueid: str
    linkedid: str
    channame: str = ""
    context: str = ""
    exten: str = ""
    cid_num: str = ""
    cid_name: str = ""
    appname: str = ""
    appdata: str = ""
    userdeftype: str = ""
    peer: str = ""
    extra: str = ""
    seq: int = 0  # the row's id: its place among rows of the same eventtime


def _extra(row: CelRow) -> dict[str, object]:
    try:
        value = json.loads(row.extra) if row.extra else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _first(rows: Sequence[CelRow], **match: str) -> CelRow | None:
    for row in rows:
        if all(getattr(row, k) == v for k, v in match.items()):
            return row
    return None


def _call_end(row: CelRow | None) -> dict[str, list[str]]:
    """The caller's hangup handler's ``member=…&queuestatus=…`` (empty without one)."""
    if row is None:
        return {}
    return parse_qs(str(_extra(row).get("extra", "")), keep_blank_values=True)


def _transferred(rows: Sequence[CelRow], caller_id: str) -> bool:
    """The caller's channel was blind-transferred out of the bridge it shared with the
    agent's member leg (the row is the transferer's: the member leg)."""
    return any(
        r.eventtype == "BLINDTRANSFER" and _extra(r).get("transferee_channel_uniqueid") == caller_id
        for r in rows
    )


def _outcome(
    rows: Sequence[CelRow],
    caller: str,
    answered: CelRow | None,
    queue_start: CelRow | None,
    handler: dict[str, list[str]],
    *,
    transferred: bool,
) -> tuple[Outcome, HungUp]:
    # The agent handed the caller on (R11b): the call's end is the department leg's,
    # so no hang-up after it (nor a missing source) says anything about the hotline.
    if answered is not None and transferred:
        return Outcome.TRANSFERRED, HungUp.TRANSFER
    # The first hang-up with a known source says who ended the call: when the agent
    # hangs up, the source is lost at the Local channel and the caller's HANGUP has none.
    source = next(
        (
            str(_extra(r).get("hangupsource", ""))
            for r in rows
            if r.eventtype == "HANGUP" and _extra(r).get("hangupsource")
        ),
        "",
    )
    # app_queue sets QUEUESTATUS when it gives up on a caller (TIMEOUT, LEAVEEMPTY, …);
    # without the hangup handler's row we cannot tell, and keep "unanswered"
    queue_status = handler.get("queuestatus", [""])[0] if handler else None
    stage_cut = answered is not None or queue_start is None or queue_status == ""
    if not source and stage_cut:
        return Outcome.CUT_BY_SYSTEM, HungUp.SYSTEM
    if answered is not None:
        return Outcome.ANSWERED, HungUp.CALLER if source == caller else HungUp.AGENT
    if queue_start is None:
        return Outcome.ABANDONED_GREETING, HungUp.CALLER
    if source == caller:
        return Outcome.ABANDONED_QUEUE, HungUp.CALLER
    return Outcome.UNANSWERED, HungUp.SYSTEM


def record_from_cel(rows: Sequence[CelRow]) -> CallRecord | None:
    """The call's record from all its CEL rows (any order), or None if it is not a
    finished inbound call."""
    rows = sorted(rows, key=lambda r: (r.eventtime, r.seq))
    start = next(
        (
            r
            for r in rows
            if r.eventtype == "CHAN_START"
            and r.uniqueid == r.linkedid
            and r.context == ENTRY_CONTEXT
        ),
        None,
    )
    if start is None:
        return None
    me = start.uniqueid
    hangup = _first(rows, eventtype="HANGUP", uniqueid=me)
    if hangup is None or _first(rows, eventtype="LINKEDID_END") is None:
        return None
    greeting = _first(rows, eventtype="USER_DEFINED", userdeftype=GREETING_DONE, uniqueid=me)
    queue_start = _first(rows, eventtype="APP_START", appname="Queue", uniqueid=me)
    offered = next(
        (
            r
            for r in rows
            if r.eventtype == "CHAN_START"
            and r.context == MEMBER_CONTEXT
            and r.channame.endswith(";1")
        ),
        None,
    )
    answered = _first(rows, eventtype="BRIDGE_ENTER", appname="Queue", uniqueid=me)
    call_end = _first(rows, eventtype="USER_DEFINED", userdeftype=CALL_END, uniqueid=me)
    handler = _call_end(call_end)
    member = handler.get("member", [""])[0]
    outcome, hung_up = _outcome(
        rows, start.channame, answered, queue_start, handler, transferred=_transferred(rows, me)
    )
    path = _menu_path(rows, me)
    return CallRecord(
        linkedid=me,
        caller_number=start.cid_num,
        caller_name=start.cid_name,
        entry_number=start.exten,
        entered_at=start.eventtime,
        ended_at=hangup.eventtime,
        outcome=outcome,
        hung_up_first=hung_up,
        source=Source.CEL,
        greeting_done_at=greeting.eventtime if greeting else None,
        queue_joined_at=queue_start.eventtime if queue_start else None,
        agent_offered_at=offered.eventtime if offered and queue_start else None,
        agent_answered_at=answered.eventtime if answered else None,
        queue=(queue_start.appdata.split(",")[0] or None) if queue_start else None,
        agent_job_number=member if answered is not None and member else None,
        plan_version=path.version,
        menu_path=path.nodes,
        language=path.language,
        ended_node=path.ended_in,
        holds=None,
    )


def _menu_path(rows: Sequence[CelRow], caller: str) -> MenuPath:
    path = MenuPath()
    for row in rows:
        if row.eventtype == "USER_DEFINED" and row.userdeftype == NODE and row.uniqueid == caller:
            path = path.entered_cel(str(_extra(row).get("extra", "")))
    return path
