"""The agent console's call half, pure: which call a console is about, who is calling,
the wrap-up countdown, the hold timer's start, the wrap-up form's checks, and the
live calls' fold (``calls.live``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agent_state.model import Agent, State
from agent_state.service import Change
from ami.events import Event, parse_event
from calls.live import LiveCalls
from calls.model import CallDraft, Outcome
from calls.repo import EarlierCall
from pages import i18n
from pages.console_calls import (
    PopFacts,
    call_after,
    caller_number,
    check_wrap_up,
    pop_json,
    seconds_left,
    wrap_up_deadline,
)

T0 = datetime(2030, 5, 6, 9, 0, tzinfo=UTC)
ID = "1900000000.7"
TZ = ZoneInfo("Asia/Shanghai")


def change(state: State, call: str = "") -> Change:
    return Change(Agent("1001"), Agent("1001", state, since=T0), "X", "asterisk", T0, call=call)


@pytest.mark.parametrize(
    ("previous", "state", "call", "after"),
    [
        (None, State.RINGING, ID, ID),  # offered
        (ID, State.ON_CALL, ID, ID),  # answered
        (ID, State.WRAP_UP, "", ID),  # the call ended: wrap-up is about it still
        (ID, State.IDLE, "", None),  # done
        (ID, State.BUSY, "", None),
        (ID, State.LOGGED_OUT, "", None),
        (None, State.WRAP_UP, "", None),  # a wrap-up whose call this console never saw
        ("1.1", State.RINGING, ID, ID),  # a new offer replaces the old
    ],
)
def test_which_call_a_console_is_about(
    previous: str | None, state: State, call: str, after: str | None
) -> None:
    assert call_after(previous, change(state, call)) == after


def draft(number: str) -> CallDraft:
    return CallDraft(ID, "PJSIP/trunk-1", number, "", "12333", T0)


@pytest.mark.parametrize(
    ("the_draft", "offered", "number"),
    [
        (draft("13800000000"), "999", "13800000000"),  # the fold's caller id first
        (draft(""), "13900000000", "13900000000"),  # withheld at entry: app_queue's
        (None, "13900000000", "13900000000"),  # a call whose start was not seen
        (None, None, ""),
    ],
)
def test_the_caller_number(the_draft: CallDraft | None, offered: str | None, number: str) -> None:
    assert caller_number(the_draft, offered) == number


def test_the_wrap_up_countdown_runs_from_the_deadline_or_the_state_s_start() -> None:
    deadline = T0 + timedelta(seconds=30)
    with_deadline = Agent("1001", State.WRAP_UP, since=T0, wrap_up_deadline=deadline)
    assert wrap_up_deadline(with_deadline, 99) == deadline
    without = Agent("1001", State.WRAP_UP, since=T0)
    assert wrap_up_deadline(without, 30) == deadline
    assert wrap_up_deadline(Agent("1001", State.IDLE, since=T0), 30) is None
    assert seconds_left(deadline, T0) == 30
    assert seconds_left(deadline, T0 + timedelta(seconds=10.2)) == 20  # rounded up
    assert seconds_left(deadline, T0 + timedelta(seconds=45)) == 0  # never below 0
    assert seconds_left(None, T0) is None


CATEGORIES = ["政策咨询", "建议投诉"]
GOOD = {"call": ID, "category": "政策咨询", "summary": "问社保转移", "then": "idle"}


@pytest.mark.parametrize(
    ("changes", "faults"),
    [
        ({}, {}),
        ({"then": "busy"}, {}),
        ({"category": "不存在"}, {"category": "input.category_unknown"}),
        ({"category": ""}, {"category": "input.category_unknown"}),
        ({"summary": ""}, {"summary": "input.summary_missing"}),
        ({"summary": "x" * 501}, {"summary": "input.summary_too_long"}),
        ({"summary": "第一行\r\n第二行\t"}, {}),  # a summary keeps its lines
        ({"summary": "a\x00b"}, {"summary": "input.summary_unsafe"}),
        ({"call": "not-a-call"}, {"call": "input.wrap_up_no_call"}),
        ({"then": "sign_out"}, {"then": "input.invalid"}),
        (
            {"category": "x", "summary": ""},
            {"category": "input.category_unknown", "summary": "input.summary_missing"},
        ),
    ],
)
def test_the_wrap_up_form_is_checked_field_by_field(
    changes: dict[str, str], faults: dict[str, str]
) -> None:
    assert check_wrap_up({**GOOD, **changes}, CATEGORIES) == faults


def facts() -> PopFacts:
    earlier = EarlierCall("1.1", T0 - timedelta(days=1), Outcome.ANSWERED, "政策咨询", "1002")
    return PopFacts("13800000000", ("welcome", "menu", "queue"), earlier=(earlier,))


def test_the_pop_shows_the_caller_while_the_call_lasts() -> None:
    ringing = Agent("1001", State.RINGING, since=T0)
    hold = T0 + timedelta(seconds=5)
    body = pop_json(
        i18n.Language.ZH,
        ringing,
        tz=TZ,
        call=ID,
        facts=facts(),
        hold_since=hold,
        deadline=None,
        now=T0,
    )
    assert body["shown"] and body["number"] == "13800000000"
    assert body["path"] == "welcome → menu → queue"
    assert body["earlier"] == [{"when": "05-05 17:00", "outcome": "已接通", "category": "政策咨询"}]
    assert body["hold_since"] == hold.isoformat() and body["hold_long_s"] == 30.0
    assert not body["wrap_up"] and body["left_s"] is None
    idle = pop_json(
        i18n.Language.ZH,
        Agent("1001", State.IDLE, since=T0),
        tz=TZ,
        call=None,
        facts=None,
        hold_since=hold,
        deadline=None,
        now=T0,
    )
    assert not idle["shown"] and idle["hold_since"] is None and idle["number"] == ""


def ev(name: str, at: float, **headers: str) -> Event:
    base = {"Event": name, "Timestamp": f"{T0.timestamp() + at:.6f}", "Linkedid": ID}
    return parse_event({**base, **headers})


def test_live_calls_follow_the_caller_the_path_and_the_holds() -> None:
    live = LiveCalls()
    told: list[str] = []
    live.subscribe(told.append)
    caller = {"Channel": "PJSIP/trunk-00000001", "Uniqueid": ID}
    live.on_event(
        ev("Newchannel", 0, **caller, Context="from-pstn", Exten="12333", CallerIDNum="138001")
    )
    node = {"UserEvent": "HotlineNode", "Node": "welcome", "Version": "3", "PromptLanguage": "zh"}
    live.on_event(ev("UserEvent", 1, **caller, **node))
    live.on_event(ev("AgentCalled", 2, **caller, MemberName="1001", CallerIDNum="138001"))
    the_draft = live.draft(ID)
    assert the_draft is not None and the_draft.caller_number == "138001"
    assert the_draft.path.nodes == ("welcome",) and live.offered[ID] == "138001"
    desk = {"Channel": "PJSIP/2001-00000002", "Uniqueid": "1900000000.8"}
    live.on_event(ev("Hold", 5, **desk))
    held = live.draft(ID)
    assert held is not None and held.holds.since == T0 + timedelta(seconds=5)
    live.on_event(ev("Unhold", 9, **desk))
    resumed = live.draft(ID)
    assert resumed is not None and resumed.holds.since is None
    assert told == [ID, ID]  # the hold began, the hold ended
    live.on_event(ev("Hangup", 20, **caller, Cause="16"))
    assert live.draft(ID) is None and ID not in live.offered and told == [ID, ID, ID]


def test_a_live_call_ends_with_an_agent_complete_that_names_no_channel() -> None:
    """The caller hung up before app_queue said who ended the call, and its
    AgentComplete came with neither channel's headers: the member's call ends anyway
    (else it would stay "in progress" for ``STALE_AFTER``)."""
    live = LiveCalls()
    told: list[str] = []
    live.subscribe(told.append)
    caller = {"Channel": "PJSIP/trunk-00000001", "Uniqueid": ID}
    live.on_event(ev("Newchannel", 0, **caller, Context="from-pstn", Exten="12333"))
    live.on_event(ev("QueueCallerJoin", 1, **caller, Queue="12333"))
    live.on_event(ev("AgentConnect", 3, **caller, Queue="12333", MemberName="1001"))
    live.on_event(ev("Hangup", 20, **caller, Cause="16"))
    assert live.draft(ID) is not None  # waiting for who hung up
    bare = {"Event": "AgentComplete", "Timestamp": f"{T0.timestamp() + 21:.6f}"}
    live.on_event(parse_event({**bare, "Queue": "12333", "MemberName": "1001"}))
    assert live.draft(ID) is None and told == [ID]


def test_a_call_whose_end_was_missed_is_forgotten_when_one_begins_half_a_day_later() -> None:
    """Its Hangup never came (AMI was away): it is dropped once it is older than
    ``STALE_AFTER`` when another call begins; the calls after it are kept."""
    live = LiveCalls()

    def begins(linkedid: str, at: float) -> None:
        headers = {"Channel": f"PJSIP/trunk-{linkedid}", "Uniqueid": linkedid}
        live.on_event(
            ev("Newchannel", at, **headers, Linkedid=linkedid, Context="from-pstn", Exten="12333")
        )

    hours = 3600.0
    begins("1.1", 0)
    begins("1.2", 1 * hours)
    begins("1.3", 11 * hours)
    assert list(live.drafts) == ["1.1", "1.2", "1.3"]
    begins("1.4", 12.5 * hours)  # 1.1 is 12.5 h old: past STALE_AFTER
    assert list(live.drafts) == ["1.2", "1.3", "1.4"]
    begins("1.5", 23.5 * hours)  # 1.2 at 22.5 h gone; 1.3 at 12.5 h gone
    assert list(live.drafts) == ["1.4", "1.5"]
    begins("1.4", 24 * hours)  # seen beginning again (a replay): its place is the end's
    begins("1.6", 35.8 * hours)  # 1.5 (12.3 h) stale, 1.4 (11.8 h) not
    assert list(live.drafts) == ["1.4", "1.6"]
