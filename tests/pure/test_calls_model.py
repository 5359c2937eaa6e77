"""The call fold (AMI events -> record) and the CEL rebuild, on synthetic input."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest

from ami.events import Event, parse_event
from calls.cel import CelRow, record_from_cel
from calls.model import (
    CallDraft,
    CallRecord,
    HungUp,
    Outcome,
    begin,
    call_for,
    give_up,
    starts_call,
    step,
)

T0 = 1_800_000_000.0
CALLER = "PJSIP/pstn-trunk-00000001"
ID = "1800000000.1"


def ev(name: str, at: float, **headers: str) -> Event:
    base = {"Event": name, "Timestamp": f"{T0 + at:.6f}", "Linkedid": ID}
    return parse_event({**base, **headers})


def fold(events: list[Event]) -> CallRecord:
    first = events[0]
    assert starts_call(first)
    draft: CallDraft | CallRecord = begin(first)  # type: ignore[arg-type]
    for event in events[1:]:
        assert isinstance(draft, CallDraft)
        draft = step(draft, event)
    assert isinstance(draft, CallRecord)
    return draft


def start() -> Event:
    return ev(
        "Newchannel",
        0,
        Channel=CALLER,
        Uniqueid=ID,
        Context="from-pstn",
        Exten="12333",
        CallerIDNum="13800000000",
        CallerIDName="<unknown>",
    )


def answered(reason: str) -> list[Event]:
    return [
        start(),
        ev("UserEvent", 10, UserEvent="HotlineGreeting", Uniqueid=ID, Status="SUCCESS"),
        ev("QueueCallerJoin", 10.01, Queue="12333", Uniqueid=ID, Count="1"),
        ev("AgentCalled", 10.02, Queue="12333", MemberName="1001", Uniqueid=ID),
        ev("AgentConnect", 11.0, Queue="12333", MemberName="1001", Uniqueid=ID),
        ev("QueueCallerLeave", 11.0, Queue="12333", Uniqueid=ID, Count="0"),
        ev("AgentComplete", 15.0, Queue="12333", MemberName="1001", Reason=reason, Uniqueid=ID),
        ev("Hangup", 15.01, Channel="Local/2001@agents-local-0;1", Uniqueid="x.2"),
        ev("Hangup", 15.02, Channel=CALLER, Uniqueid=ID, Cause="16"),
    ]


@pytest.mark.parametrize(
    ("reason", "outcome", "hung_up"),
    [
        ("caller", Outcome.ANSWERED, HungUp.CALLER),
        ("agent", Outcome.ANSWERED, HungUp.AGENT),
        ("transfer", Outcome.TRANSFERRED, HungUp.TRANSFER),
    ],
)
def test_answered_call_is_folded_into_one_record(
    reason: str, outcome: Outcome, hung_up: HungUp
) -> None:
    record = fold(answered(reason))
    assert (record.outcome, record.hung_up_first, record.agent_job_number) == (
        outcome,
        hung_up,
        "1001",
    )
    assert record.caller_name == "" and record.caller_number == "13800000000"
    assert record.ring_s == pytest.approx(0.98)
    assert record.wait_s == pytest.approx(0.99)
    assert record.talk_s == pytest.approx(4.02)
    assert record.entered_at == datetime.fromtimestamp(T0, tz=UTC)


def test_hanging_up_in_the_greeting_is_abandoned_there() -> None:
    record = fold([start(), ev("Hangup", 3, Channel=CALLER, Uniqueid=ID)])
    assert (record.outcome, record.hung_up_first) == (Outcome.ABANDONED_GREETING, HungUp.CALLER)
    assert record.wait_s is None and record.queue is None


def test_hanging_up_in_the_queue_is_abandoned_there() -> None:
    record = fold(
        [
            start(),
            ev("QueueCallerJoin", 10, Queue="12333", Uniqueid=ID, Count="1"),
            ev("QueueCallerAbandon", 14, Queue="12333", Uniqueid=ID, HoldTime="4"),
            ev("Hangup", 14.01, Channel=CALLER, Uniqueid=ID),
        ]
    )
    assert (record.outcome, record.hung_up_first) == (Outcome.ABANDONED_QUEUE, HungUp.CALLER)
    assert record.wait_s == pytest.approx(4.01)


def test_events_of_other_calls_change_nothing() -> None:
    draft = begin(start())  # type: ignore[arg-type]
    other = parse_event(
        {"Event": "Hangup", "Timestamp": str(T0 + 1), "Uniqueid": "9.9", "Linkedid": "9.9"}
    )
    assert step(draft, other) == draft


def test_a_channel_outside_the_entry_context_does_not_start_a_call() -> None:
    assert not starts_call(ev("Newchannel", 0, Uniqueid=ID, Context="agents"))
    assert not starts_call(ev("Newchannel", 0, Uniqueid="other", Context="from-pstn"))


def _row(kind: str, at: float, **fields: str) -> CelRow:
    base = {
        "uniqueid": ID,
        "linkedid": ID,
        "channame": CALLER,
        "context": "from-pstn",
        "exten": "12333",
        "cid_num": "13800000000",
        "cid_name": "张三",
    }
    return CelRow(
        eventtype=kind,
        eventtime=datetime.fromtimestamp(T0, UTC) + timedelta(seconds=at),
        **{**base, **fields},
    )


def _hangup(at: float, source: str, **fields: str) -> CelRow:
    return _row(
        "HANGUP", at, extra=json.dumps({"hangupcause": 16, "hangupsource": source}), **fields
    )


def test_cel_rows_rebuild_an_answered_call_the_agent_ended() -> None:
    local = {
        "uniqueid": "x.2",
        "channame": "Local/2001@agents-local-0;1",
        "context": "agents-local",
    }
    rows = [
        _row("CHAN_START", 0),
        _row("USER_DEFINED", 10, userdeftype="HOTLINE_GREETING_DONE", extra='{"extra":"SUCCESS"}'),
        _row("APP_START", 10.01, appname="Queue", appdata="12333"),
        _row("CHAN_START", 10.02, **local),
        _row("BRIDGE_ENTER", 11, appname="Queue"),
        _hangup(15.0, "PJSIP/2001-00000002", uniqueid="x.3", channame="PJSIP/2001-00000002"),
        _row(
            "USER_DEFINED",
            15.01,
            userdeftype="HOTLINE_CALL_END",
            extra='{"extra":"member=1001&queuestatus=&hangupsource="}',
        ),
        _hangup(15.02, ""),
        _row("LINKEDID_END", 15.02),
    ]
    record = record_from_cel(list(reversed(rows)))
    assert record is not None
    assert (record.outcome, record.hung_up_first, record.agent_job_number, record.queue) == (
        Outcome.ANSWERED,
        HungUp.AGENT,
        "1001",
        "12333",
    )
    assert record.caller_name == "张三" and record.ring_s == pytest.approx(0.98)


def test_cel_rows_of_an_unfinished_call_give_nothing_yet() -> None:
    assert record_from_cel([_row("CHAN_START", 0), _hangup(3, CALLER)]) is None
    assert record_from_cel([_row("CHAN_START", 0, context="agents")]) is None


def test_cel_rows_of_a_greeting_abandon() -> None:
    record = record_from_cel([_row("CHAN_START", 0), _hangup(3, CALLER), _row("LINKEDID_END", 3)])
    assert record is not None
    assert (record.outcome, record.hung_up_first) == (Outcome.ABANDONED_GREETING, HungUp.CALLER)


# ---- cut by the system: Asterisk's own shutdown or restart is nobody hanging up ----------

LOCAL_1 = {"Channel": "Local/2001@agents-local-0;1", "Uniqueid": "x.2"}
LOCAL_2 = {"Channel": "Local/2001@agents-local-0;2", "Uniqueid": "x.3"}
ON_CALLER = {"Channel": CALLER, "Uniqueid": ID}


def shutdown(at: float, first: dict[str, str] = ON_CALLER, *between: Event) -> list[Event]:
    """What ``core restart now`` gives (recorded on Asterisk 22): the shutdown flag (4) on
    every channel of the call, then app_queue's own events (``AgentComplete`` blaming the
    agent), the bridge's soft hang-up (16) and the hang-ups."""
    return [
        ev("SoftHangupRequest", at, Cause="4", **first),
        ev("SoftHangupRequest", at, Cause="4", **ON_CALLER),
        *between,
        ev("SoftHangupRequest", at, Cause="16", **ON_CALLER),
        ev("Hangup", at + 0.01, Cause="16", **LOCAL_1),
        ev("Hangup", at + 0.02, Cause="0", **ON_CALLER),
    ]


TALKING_EVENTS = answered("caller")[:6]  # greeting, queue, offered, connected


@pytest.mark.parametrize(
    ("events", "answered_at"),
    [
        pytest.param([start(), *shutdown(3)], None, id="in the greeting"),
        pytest.param(
            [
                start(),
                ev("QueueCallerJoin", 10, Queue="12333", Uniqueid=ID, Count="1"),
                *shutdown(12, ON_CALLER, ev("QueueCallerAbandon", 12, Queue="12333")),
            ],
            None,
            id="waiting in the queue",
        ),
        pytest.param(
            [
                *TALKING_EVENTS,
                *shutdown(
                    13,
                    LOCAL_2,
                    ev("AgentComplete", 13, Queue="12333", MemberName="1001", Reason="agent"),
                ),
            ],
            11.0,
            id="talking to an agent",
        ),
    ],
)
def test_a_call_asterisk_shut_down_is_cut_by_the_system(
    events: list[Event], answered_at: float | None
) -> None:
    record = fold(events)
    assert (record.outcome, record.hung_up_first) == (Outcome.CUT_BY_SYSTEM, HungUp.SYSTEM)
    if answered_at is None:
        assert record.agent_answered_at is None
    else:  # the call did reach the agent: the record still says so
        assert record.agent_answered_at == datetime.fromtimestamp(T0 + answered_at, UTC)
        assert record.agent_job_number == "1001"


@pytest.mark.parametrize(
    ("request_", "cause"),
    [("HangupRequest", "16"), ("SoftHangupRequest", "16"), ("SoftHangupRequest", "32")],
)
def test_a_caller_who_hung_up_before_the_shutdown_abandoned(request_: str, cause: str) -> None:
    """Only the first request on the caller's channel counts; other soft hang-up flags
    (16 app unload, 32 explicit) are not the shutdown (4)."""
    record = fold(
        [
            start(),
            ev(request_, 3, Cause=cause, **ON_CALLER),
            ev("SoftHangupRequest", 3.001, Cause="4", **ON_CALLER),
            ev("Hangup", 3.01, Cause="16", **ON_CALLER),
        ]
    )
    assert (record.outcome, record.hung_up_first) == (Outcome.ABANDONED_GREETING, HungUp.CALLER)


def test_an_agent_leg_hanging_up_is_not_the_callers_request() -> None:
    events = answered("agent")
    events.insert(6, ev("HangupRequest", 14.9, Cause="16", **LOCAL_2))
    events.insert(7, ev("SoftHangupRequest", 14.95, Cause="16", **LOCAL_1))
    record = fold(events)
    assert (record.outcome, record.hung_up_first) == (Outcome.ANSWERED, HungUp.AGENT)


def _call_end(member: str = "", queuestatus: str = "") -> CelRow:
    extra = f"member={member}&queuestatus={queuestatus}&hangupsource="
    return _row(
        "USER_DEFINED", 20, userdeftype="HOTLINE_CALL_END", extra=json.dumps({"extra": extra})
    )


QUEUED = [
    _row("USER_DEFINED", 10, userdeftype="HOTLINE_GREETING_DONE", extra='{"extra":"SUCCESS"}'),
    _row("APP_START", 10.01, appname="Queue", appdata="12333"),
]
AGENT_PHONE = {"uniqueid": "x.4", "channame": "PJSIP/2001-00000002"}
TALKING = [
    *QUEUED,
    _row(
        "CHAN_START",
        10.02,
        uniqueid="x.2",
        channame="Local/2001@agents-local-0;1",
        context="agents-local",
    ),
    _row("BRIDGE_ENTER", 11, appname="Queue"),
]


@pytest.mark.parametrize(
    ("rows", "outcome", "hung_up"),
    [
        # as recorded in the sandbox after `core restart now`: no HANGUP names a source
        pytest.param(
            [_call_end(), _hangup(20.1, "")],
            Outcome.CUT_BY_SYSTEM,
            HungUp.SYSTEM,
            id="greeting, cut",
        ),
        pytest.param(
            [*QUEUED, _call_end(), _hangup(20.1, "")],
            Outcome.CUT_BY_SYSTEM,
            HungUp.SYSTEM,
            id="queue, cut",
        ),
        pytest.param(
            [*TALKING, _call_end("1001"), _hangup(20.05, "", **AGENT_PHONE), _hangup(20.1, "")],
            Outcome.CUT_BY_SYSTEM,
            HungUp.SYSTEM,
            id="answered, cut",
        ),
        # the same stages when someone did hang up, or app_queue gave up
        pytest.param(
            [_call_end(), _hangup(20.1, CALLER)],
            Outcome.ABANDONED_GREETING,
            HungUp.CALLER,
            id="greeting, caller",
        ),
        pytest.param(
            [*QUEUED, _call_end(), _hangup(20.1, CALLER)],
            Outcome.ABANDONED_QUEUE,
            HungUp.CALLER,
            id="queue, caller",
        ),
        pytest.param(
            [*QUEUED, _call_end(queuestatus="TIMEOUT"), _hangup(20.1, "")],
            Outcome.UNANSWERED,
            HungUp.SYSTEM,
            id="queue, timeout",
        ),
        pytest.param(
            [*QUEUED, _hangup(20.1, "")],
            Outcome.UNANSWERED,
            HungUp.SYSTEM,
            id="queue, no hangup handler row",
        ),
        pytest.param(
            [
                *TALKING,
                _call_end("1001"),
                _hangup(20.05, "PJSIP/2001-00000002", **AGENT_PHONE),
                _hangup(20.1, ""),
            ],
            Outcome.ANSWERED,
            HungUp.AGENT,
            id="answered, agent",
        ),
        pytest.param(
            [*TALKING, _call_end("1001"), _hangup(20.1, CALLER)],
            Outcome.ANSWERED,
            HungUp.CALLER,
            id="answered, caller",
        ),
    ],
)
def test_cel_rows_tell_who_ended_the_call(
    rows: list[CelRow], outcome: Outcome, hung_up: HungUp
) -> None:
    record = record_from_cel([_row("CHAN_START", 0), *rows, _row("LINKEDID_END", 20.1)])
    assert record is not None
    assert (record.outcome, record.hung_up_first) == (outcome, hung_up)
    assert record.agent_job_number == ("1001" if record.agent_answered_at else None)


@pytest.mark.parametrize("reason", ["caller", "agent", "transfer"])
def test_an_agent_complete_after_the_callers_hangup_still_says_who_hung_up(reason: str) -> None:
    """app_queue publishes AgentComplete on its own route: under load it reaches AMI after
    the caller's Hangup. The record waits for it and keeps the Hangup's time."""
    events = answered(reason)
    complete, member_gone, caller_gone = events[-3:]
    draft: CallDraft | CallRecord = begin(events[0])  # type: ignore[arg-type]
    for event in [*events[1:-3], member_gone, caller_gone]:
        assert isinstance(draft, CallDraft)
        draft = step(draft, event)
    assert isinstance(draft, CallDraft) and draft.awaiting_completion
    record = step(draft, complete)
    assert isinstance(record, CallRecord)
    assert record.hung_up_first is fold(answered(reason)).hung_up_first
    assert record.ended_at == datetime.fromtimestamp(T0 + 15.02, tz=UTC)


def test_an_answered_call_whose_agent_complete_never_comes_is_given_up_as_unknown() -> None:
    draft: CallDraft | CallRecord = begin(start())  # type: ignore[arg-type]
    for event in [e for e in answered("agent")[1:] if e.name != "AgentComplete"]:
        assert isinstance(draft, CallDraft)
        draft = step(draft, event)
    assert isinstance(draft, CallDraft)
    record = give_up(draft)
    assert (record.outcome, record.hung_up_first) == (Outcome.ANSWERED, HungUp.UNKNOWN)
    assert record.talk_s == pytest.approx(4.02)


def headless(complete: Event) -> Event:
    """The AgentComplete app_queue sends once both channels' snapshots are gone: no
    Channel, Uniqueid or Linkedid, no Dest* headers — the queue and the member only."""
    kept = {
        k: v
        for k, v in complete.raw.items()
        if k
        in (
            "Event",
            "Timestamp",
            "Queue",
            "MemberName",
            "Interface",
            "Reason",
            "TalkTime",
            "HoldTime",
        )
    }
    return parse_event(kept)


def open_call(events: list[Event], until: str) -> CallDraft:
    draft: CallDraft | CallRecord = begin(events[0])  # type: ignore[arg-type]
    for event in events[1:]:
        if event.name == until:
            break
        assert isinstance(draft, CallDraft)
        draft = step(draft, event)
    assert isinstance(draft, CallDraft)
    return draft


@pytest.mark.parametrize("reason", ["caller", "agent"])
def test_an_agent_complete_without_any_channel_is_the_members_answered_call(reason: str) -> None:
    """Past the knee the usual case (README "Capacity", run I); on an idle sandbox what
    the hold test's one CI failure ("who hung up: unknown") fits."""
    events = answered(reason)
    complete = next(e for e in events if e.name == "AgentComplete")
    bare = headless(complete)
    assert bare.get("Linkedid") == bare.get("DestLinkedid") == ""
    drafts = {ID: open_call(events, "AgentComplete")}
    assert call_for(drafts, bare) == ID
    record = step(step(drafts[ID], bare), events[-1])  # type: ignore[arg-type]
    assert isinstance(record, CallRecord)
    assert record.hung_up_first is fold(events).hung_up_first


def test_a_bare_agent_complete_names_no_call_it_cannot_be_sure_of() -> None:
    events = answered("caller")
    complete = next(e for e in events if e.name == "AgentComplete")
    bare = headless(complete)
    answered_call = open_call(events, "AgentComplete")
    not_answered = open_call(events, "AgentConnect")
    completed = step(answered_call, complete)
    assert isinstance(completed, CallDraft) and completed.completed_by is not None
    other_member = dataclasses.replace(answered_call, agent_job_number="1002")
    other_queue = dataclasses.replace(answered_call, queue="12333-vip")
    for drafts in (
        {},
        {ID: not_answered},
        {ID: completed},
        {ID: other_member},
        {ID: other_queue},
        {ID: answered_call, "1800000000.9": answered_call},  # two: which one is unknown
    ):
        assert call_for(drafts, bare) == "", drafts
    assert call_for({ID: answered_call}, parse_event({**bare.raw, "MemberName": ""})) == ""
    assert call_for({}, complete) == ID  # with its Linkedid, the event says it itself
