"""The call record's menu path, language, node ended in and holds (issue 10, R9, R14):
folded from AMI events, rebuilt from CEL rows, and the two agreeing on the same call."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pytest

from ami.events import Event, HotlineNode, UserEvent, parse_event
from calls.cel import CelRow, record_from_cel
from calls.model import CallDraft, CallRecord, HungUp, Outcome, Source, begin, give_up, step
from calls.path import CallHold, MenuPath
from dialplan.model import Language

T0 = 1_800_000_000.0
ID = "1800000000.7"
CALLER = "PJSIP/pstn-trunk-00000007"
AGENT = {"Channel": "PJSIP/2001-00000009", "Uniqueid": "1800000000.10"}
LOCAL_1 = {"Channel": "Local/2001@agents-local-00000003;1", "Uniqueid": "1800000000.8"}
ON_CALLER = {"Channel": CALLER, "Uniqueid": ID}


def at(s: float) -> datetime:
    return datetime.fromtimestamp(T0 + s, UTC)


def ev(name: str, s: float, **headers: str) -> Event:
    return parse_event({"Event": name, "Timestamp": f"{T0 + s:.6f}", "Linkedid": ID, **headers})


def node(s: float, node_id: str, language: str = "zh", version: str = "3", **on: str) -> Event:
    where = on or ON_CALLER
    return ev(
        "UserEvent",
        s,
        UserEvent="HotlineNode",
        Node=node_id,
        Version=version,
        PromptLanguage=language,
        Language="en",  # the channel snapshot's own, which a node event must not be read as
        **where,
    )


def fold(events: list[Event]) -> CallRecord:
    start = ev(
        "Newchannel",
        0,
        Context="from-pstn",
        Exten="12333",
        CallerIDNum="13900000001",
        CallerIDName="李四",
        **ON_CALLER,
    )
    draft: CallDraft | CallRecord = begin(start)  # type: ignore[arg-type]
    for event in events:
        assert isinstance(draft, CallDraft), f"the call ended before {event.name}"
        draft = step(draft, event)
    if isinstance(draft, CallDraft) and draft.awaiting_completion:
        draft = give_up(draft)  # an answered call cut short: no AgentComplete follows here
    assert isinstance(draft, CallRecord), "the call did not end"
    return draft


# One call, told twice: what AMI says and what CEL keeps. The caller hears the welcome,
# picks Uyghur in the language node, goes through two menus into the queue, an agent
# answers and puts them on hold twice (37 s, then 5 s).
PATH = ("welcome", "choose_language", "main_menu", "pension_menu", "pension_queue")
LANGUAGES = ("zh", "zh", "ug", "ug", "ug")
NODE_AT = (0.05, 6.0, 9.0, 14.0, 18.0)

LIVE = [
    *(node(s, n, lang) for s, n, lang in zip(NODE_AT, PATH, LANGUAGES, strict=True)),
    ev("QueueCallerJoin", 18.01, Queue="pension", Count="1", **ON_CALLER),
    ev("AgentCalled", 18.02, Queue="pension", MemberName="1001", **ON_CALLER),
    ev("AgentConnect", 20.0, Queue="pension", MemberName="1001", **ON_CALLER),
    ev("Hold", 30.0, MusicClass="hotline-hold", **AGENT),
    ev("Hold", 30.001, MusicClass="hotline-hold", **LOCAL_1),  # the same hold, passed on
    ev("Unhold", 67.0, **AGENT),
    ev("Unhold", 67.001, **LOCAL_1),
    ev("Hold", 80.0, MusicClass="hotline-hold", **AGENT),
    ev("Unhold", 85.0, **AGENT),
    ev("AgentComplete", 95.0, Queue="pension", MemberName="1001", Reason="caller", **ON_CALLER),
    ev("Hangup", 95.01, Cause="16", **ON_CALLER),
]


def cel(kind: str, s: float, seq: int, **fields: str) -> CelRow:
    base = {
        "uniqueid": ID,
        "linkedid": ID,
        "channame": CALLER,
        "context": "from-pstn",
        "exten": "12333",
        "cid_num": "13900000001",
        "cid_name": "李四",
    }
    return CelRow(eventtype=kind, eventtime=at(s), seq=seq, **{**base, **fields})


def cel_node(s: float, seq: int, extra: str, **fields: str) -> CelRow:
    return cel(
        "USER_DEFINED",
        s,
        seq,
        userdeftype="HOTLINE_NODE",
        extra=json.dumps({"extra": extra}),
        **fields,
    )


def hangup(s: float, seq: int, source: str) -> CelRow:
    return cel("HANGUP", s, seq, extra=json.dumps({"hangupcause": 16, "hangupsource": source}))


CEL = [
    cel("CHAN_START", 0, 1),
    *(
        cel_node(s, 2 + i, f"3/{n}/{lang}")
        for i, (s, n, lang) in enumerate(zip(NODE_AT, PATH, LANGUAGES, strict=True))
    ),
    cel("APP_START", 18.01, 10, appname="Queue", appdata="pension,,,,"),
    cel(
        "CHAN_START",
        18.02,
        11,
        uniqueid="1800000000.8",
        channame=LOCAL_1["Channel"],
        context="agents-local",
    ),
    cel("BRIDGE_ENTER", 20.0, 12, appname="Queue"),
    cel(
        "USER_DEFINED",
        95.0,
        13,
        userdeftype="HOTLINE_CALL_END",
        extra=json.dumps({"extra": "member=1001&queuestatus=&hangupsource=" + CALLER}),
    ),
    hangup(95.01, 14, CALLER),
    cel("LINKEDID_END", 95.02, 15),
]


def test_the_path_the_language_and_the_holds_are_folded_into_the_record() -> None:
    record = fold(LIVE)
    assert (record.plan_version, record.menu_path) == (3, PATH)
    assert record.language is Language.UYGHUR  # chosen in the language node
    assert record.ended_node == "pension_queue"
    assert record.holds == (CallHold(at(30.0), 37.0), CallHold(at(80.0), 5.0))
    assert (record.hold_count, record.hold_total_s, record.long_holds) == (2, 42.0, 1)
    assert (record.outcome, record.agent_job_number) == (Outcome.ANSWERED, "1001")


def test_a_call_abandoned_in_a_menu_says_which_node_it_ended_in() -> None:
    record = fold([*LIVE[:3], ev("Hangup", 12.0, **ON_CALLER)])
    assert (record.outcome, record.hung_up_first) == (Outcome.ABANDONED_GREETING, HungUp.CALLER)
    assert (record.menu_path, record.ended_node) == (PATH[:3], "main_menu")
    assert record.holds == () and record.hold_count == 0  # followed: there were none


def test_a_hold_still_running_when_the_call_ends_lasts_until_the_end() -> None:
    """The caller hangs up on hold; the agent's Unhold (if any) comes after the call's end."""
    record = fold([*LIVE[:10], ev("Hangup", 40.5, **ON_CALLER)])
    assert record.holds == (CallHold(at(30.0), 10.5),)


def test_a_hold_before_the_agent_connect_event_still_counts() -> None:
    """The agent's phone may hold at once: its Hold can precede AgentConnect."""
    events = [*LIVE[:6], ev("Hold", 19.9, **AGENT), *LIVE[6:8], ev("Unhold", 25, **AGENT), LIVE[-1]]
    assert fold(events).holds == (CallHold(at(19.9), 5.1),)


def test_the_callers_own_hold_is_not_the_agents() -> None:
    events = [*LIVE[:8], ev("Hold", 40, **ON_CALLER), ev("Unhold", 45, **ON_CALLER), LIVE[-1]]
    assert fold(events).holds == ()


@pytest.mark.parametrize(
    "bad",
    [
        node(7, "main_menu", version="0"),
        node(7, "main_menu", version="x"),
        node(7, "Main-Menu"),
        node(7, "main_menu;evil"),
        node(7, "main_menu", language="fr"),
        node(7, "main_menu", **LOCAL_1),  # not the caller's channel
    ],
)
def test_a_node_event_out_of_the_plan_models_whitelist_is_ignored(bad: Event) -> None:
    record = fold([node(1, "welcome"), bad, ev("Hangup", 12.0, **ON_CALLER)])
    assert (record.menu_path, record.language) == (("welcome",), Language.MANDARIN)


def test_a_call_without_a_published_plan_has_no_path() -> None:
    record = fold([ev("Hangup", 2.0, **ON_CALLER)])
    assert (record.plan_version, record.menu_path, record.language, record.ended_node) == (
        None,
        (),
        None,
        None,
    )


def test_the_node_user_event_is_parsed_into_its_own_class() -> None:
    event = node(1, "welcome", "kk", "12")
    assert isinstance(event, HotlineNode) and isinstance(event, UserEvent)
    assert (event.node, event.version, event.prompt_language) == ("welcome", 12, "kk")
    other = ev("UserEvent", 1, UserEvent="HotlineGreeting", Status="SUCCESS")
    assert type(other) is UserEvent


# ---- CEL ----------------------------------------------------------------------------------


def test_cel_rows_rebuild_the_path_and_language_and_leave_holds_unknown() -> None:
    record = record_from_cel(list(reversed(CEL)))
    assert record is not None
    assert (record.plan_version, record.menu_path, record.ended_node) == (3, PATH, PATH[-1])
    assert record.language is Language.UYGHUR
    assert record.holds is None  # CEL has no hold events: not known, never "none"
    assert (record.hold_count, record.hold_total_s, record.long_holds) == (None, None, None)


def test_cel_node_rows_logged_in_the_same_microsecond_keep_their_order() -> None:
    rows = [
        cel("CHAN_START", 0, 1),
        cel_node(1, 3, "3/second/ug"),
        cel_node(1, 2, "3/first/zh"),
        hangup(2, 4, CALLER),
        cel("LINKEDID_END", 2, 5),
    ]
    record = record_from_cel(rows)
    assert record is not None
    assert record.menu_path == ("first", "second") and record.language is Language.UYGHUR


@pytest.mark.parametrize(
    "extra",
    ["3/main_menu", "3/main_menu/zh/x", "x/main_menu/zh", "0/main_menu/zh", "3/Main/zh", "3//zh"],
)
def test_a_malformed_cel_node_row_is_ignored(extra: str) -> None:
    rows = [
        cel("CHAN_START", 0, 1),
        cel_node(1, 2, "3/welcome/zh"),
        cel_node(2, 3, extra),
        cel_node(3, 4, "3/main_menu/zh", uniqueid="1800000000.8"),  # another channel
        hangup(4, 5, CALLER),
        cel("LINKEDID_END", 4, 6),
    ]
    record = record_from_cel(rows)
    assert record is not None and record.menu_path == ("welcome",)


def test_the_live_record_and_the_cel_rebuild_agree_on_the_same_call() -> None:
    live = fold(LIVE)
    rebuilt = record_from_cel(CEL)
    assert rebuilt is not None
    assert live.source is Source.AMI and rebuilt.source is Source.CEL
    assert live.holds and rebuilt.holds is None  # the one thing only the live recorder sees
    same = {"source": Source.AMI, "holds": live.holds}
    assert dataclasses.replace(rebuilt, **same) == live  # type: ignore[arg-type]


def test_a_path_keeps_its_first_version_and_at_most_its_limit() -> None:
    path = MenuPath().entered(3, "a", "zh").entered(4, "b", "kk")
    assert (path.version, path.nodes, path.language) == (3, ("a", "b"), Language.KAZAKH)
    for _ in range(600):
        path = path.entered(3, "loop", "zh")
    assert len(path.nodes) == 500
