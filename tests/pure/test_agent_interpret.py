"""What Asterisk's events mean for an agent (``agent_state.interpret``): table-driven.

Each row: an AMI event, the agent as the service has it, what the service last sent
for its member — and the reading: a model event, a reconcile (with why), or nothing.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from agent_state.interpret import Reading, Reconcile, Sent, SinceAnswer, interpret
from agent_state.model import (
    Agent,
    Answered,
    BusyReason,
    CallEnded,
    Missed,
    Offered,
    PauseConfirmed,
    PhoneBack,
    PhoneLost,
    RemoveConfirmed,
    RingEnded,
    State,
)
from ami.events import (
    AgentCalled,
    AgentComplete,
    AgentConnect,
    AgentRingNoAnswer,
    ContactStatus,
    Event,
    Hangup,
    Newchannel,
    QueueMemberPause,
    QueueMemberRemoved,
)

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
WRAP_UP_S = 4.0


def agent(state: State, **changes: object) -> Agent:
    reason = BusyReason.MANUAL if state is State.BUSY else None
    deadline = NOW + timedelta(seconds=9) if state is State.WRAP_UP else None
    base = Agent("1001", state, reason, NOW, deadline)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def pause(paused: bool, reason: str = "") -> QueueMemberPause:
    return QueueMemberPause(queue="12333", member_name="1001", paused=paused, paused_reason=reason)


REMOVED = QueueMemberRemoved(queue="12333", member_name="1001")
NOTHING_SENT = Sent()
SENT_BUSY = Sent(((False, ""), (True, "manual")))
SENT_REMOVE = Sent(((True, "logged_out"),))
IDLE = agent(State.IDLE)
RINGING = agent(State.RINGING)
ON_CALL = agent(State.ON_CALL)
WRAP_UP = agent(State.WRAP_UP)
BUSY = agent(State.BUSY)
OUT = agent(State.LOGGED_OUT)
BUSY_ASKED = agent(State.IDLE, busy_pending=BusyReason.MANUAL)
OUT_ASKED = agent(State.IDLE, sign_out_pending=True)

ROWS: list[tuple[str, Event, Agent, Sent, type | None]] = [
    # the call's life, adopted
    ("offer", AgentCalled(member_name="1001", linkedid="c1"), IDLE, NOTHING_SENT, Offered),
    ("answer", AgentConnect(member_name="1001", linkedid="c1"), RINGING, NOTHING_SENT, Answered),
    ("ring stops", AgentRingNoAnswer(member_name="1001"), RINGING, NOTHING_SENT, RingEnded),
    (
        "member leg hangs up",
        Hangup(channel="Local/2001@agents-local-1;1"),
        RINGING,
        NOTHING_SENT,
        RingEnded,
    ),
    ("call ends", AgentComplete(member_name="1001"), ON_CALL, NOTHING_SENT, CallEnded),
    # pauses
    ("app_queue's autopause is a miss", pause(True, "Auto-Pause"), RINGING, NOTHING_SENT, Missed),
    ("autopause even if idle already", pause(True, "Auto-Pause"), IDLE, NOTHING_SENT, Missed),
    ("the pending busy, confirmed", pause(True, "manual"), BUSY_ASKED, SENT_BUSY, PauseConfirmed),
    (
        "confirmed while the offer rings",
        pause(True, "manual"),
        dataclasses.replace(RINGING, busy_pending=BusyReason.MANUAL),
        SENT_BUSY,
        PauseConfirmed,
    ),
    # late echoes of our own commands, arriving after the agent moved on
    ("a late echo of our pause", pause(True, "manual"), IDLE, SENT_BUSY, None),
    ("a late echo of our unpause", pause(False), BUSY, SENT_BUSY, None),
    ("the dialplan's wrap-up pause", pause(True, "wrap_up"), WRAP_UP, NOTHING_SENT, None),
    ("the dialplan's pause as the call ends", pause(True, "wrap_up"), ON_CALL, NOTHING_SENT, None),
    ("paused behind our back while idle", pause(True, "lunch"), IDLE, NOTHING_SENT, Reconcile),
    ("unpaused behind our back while busy", pause(False), BUSY, NOTHING_SENT, Reconcile),
    (
        "unpaused while a busy request is on its way",
        pause(False),
        BUSY_ASKED,
        Sent(((True, "manual"),)),
        Reconcile,
    ),
    ("a pause agreeing with busy", pause(True, "lunch"), BUSY, NOTHING_SENT, None),
    ("a signed-out agent's member", pause(False), OUT, NOTHING_SENT, None),
    # removals
    ("the pending sign-out, confirmed", REMOVED, OUT_ASKED, SENT_REMOVE, RemoveConfirmed),
    (
        "removed while the offer rings",
        REMOVED,
        dataclasses.replace(RINGING, sign_out_pending=True),
        SENT_REMOVE,
        None,
    ),
    ("our own removal's echo", REMOVED, OUT, SENT_REMOVE, None),
    ("removed behind our back", REMOVED, BUSY, NOTHING_SENT, Reconcile),
    ("removed behind our back while idle", REMOVED, IDLE, NOTHING_SENT, Reconcile),
    # the desk phone
    (
        "phone unreachable",
        ContactStatus(aor="2001", contact_status="Unreachable"),
        IDLE,
        NOTHING_SENT,
        PhoneLost,
    ),
    (
        "phone unregistered",
        ContactStatus(aor="2001", contact_status="Removed"),
        BUSY,
        NOTHING_SENT,
        PhoneLost,
    ),
    (
        "phone back",
        ContactStatus(aor="2001", contact_status="Reachable"),
        BUSY,
        NOTHING_SENT,
        PhoneBack,
    ),
    (
        "a contact merely created",
        ContactStatus(aor="2001", contact_status="Created"),
        IDLE,
        NOTHING_SENT,
        None,
    ),
    # not ours to read
    ("an unrelated event", Newchannel(channel="PJSIP/2001-1"), IDLE, NOTHING_SENT, None),
]


@pytest.mark.parametrize(
    ("event", "agent_", "sent", "expected"),
    [row[1:] for row in ROWS],
    ids=[row[0] for row in ROWS],
)
def test_each_event_reads_as_the_table_says(
    event: Event, agent_: Agent, sent: Sent, expected: type | None
) -> None:
    reading: Reading = interpret(event, agent_, sent, wrap_up_s=WRAP_UP_S)
    if expected is None:
        assert reading is None
    else:
        assert type(reading) is expected


def test_a_call_end_carries_the_wrap_up_setting() -> None:
    reading = interpret(AgentComplete(member_name="1001"), ON_CALL, Sent(), wrap_up_s=WRAP_UP_S)
    assert reading == CallEnded(wrap_up_s=WRAP_UP_S)


def test_a_call_end_carries_what_asterisk_said_about_the_pause() -> None:
    reading = interpret(
        AgentComplete(member_name="1001"), ON_CALL, Sent(), wrap_up_s=1, paused_as="wrap_up"
    )
    assert reading == CallEnded(wrap_up_s=1, paused_as="wrap_up")


def pause_in(queue: str, paused: bool, reason: str = "") -> QueueMemberPause:
    return dataclasses.replace(pause(paused, reason), queue=queue)


def test_since_the_answer_every_queue_paused_for_wrap_up_is_paused_as_wrap_up() -> None:
    seen = SinceAnswer().seeing(pause_in("12333", True, "wrap_up"))
    seen = seen.seeing(pause_in("12345", True, "wrap_up"))
    assert seen.paused_as(["12333", "12345"]) == "wrap_up"
    assert seen.paused_as(["12333"]) == "wrap_up"


@pytest.mark.parametrize(
    ("reports", "queues"),
    [
        ((), ["12333"]),  # nothing said yet (AgentComplete came first)
        ((("12333", True, "wrap_up"),), ["12333", "12345"]),  # one queue not yet
        ((("12333", True, "wrap_up"), ("12333", False, "")), ["12333"]),  # unpaused since
        ((("12333", True, "wrap_up"), ("12345", True, "manual")), ["12333", "12345"]),
        ((("12333", True, "wrap_up"),), []),  # a member in no queue: nothing to go by
    ],
)
def test_since_the_answer_anything_less_is_not_paused(
    reports: tuple[tuple[str, bool, str], ...], queues: list[str]
) -> None:
    seen = SinceAnswer()
    for queue, paused, reason in reports:
        seen = seen.seeing(pause_in(queue, paused, reason))
    assert seen.paused_as(queues) is None


def test_since_the_answer_the_newest_report_of_a_queue_counts() -> None:
    seen = SinceAnswer().seeing(pause_in("12333", False))
    assert seen.seeing(pause_in("12333", True, "wrap_up")).paused_as(["12333"]) == "wrap_up"


def test_an_offer_carries_its_call() -> None:
    reading = interpret(AgentCalled(member_name="1001", linkedid="c9"), IDLE, Sent(), wrap_up_s=1)
    assert reading == Offered(linkedid="c9")


def test_a_disagreement_says_what_each_side_had() -> None:
    reading = interpret(pause(False), BUSY, Sent(), wrap_up_s=1)
    assert isinstance(reading, Reconcile)
    assert "unpaused" in reading.why and "busy(manual)" in reading.why and "12333" in reading.why
