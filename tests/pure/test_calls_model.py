"""The call fold (AMI events -> record) and the CEL rebuild, on synthetic input."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from ami.events import Event, parse_event
from calls.cel import CelRow, record_from_cel
from calls.model import CallDraft, CallRecord, HungUp, Outcome, begin, starts_call, step

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
