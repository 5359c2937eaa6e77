"""The agent state machine: every row of the transition table, every illegal event."""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent_state.model import (
    TRANSITIONS,
    AddMember,
    Agent,
    Answered,
    BusyReason,
    CallEnded,
    Event,
    ForceBusy,
    GoBusy,
    GoIdle,
    IllegalTransition,
    Lamp,
    Missed,
    Offered,
    PauseConfirmed,
    PauseMember,
    PhoneBack,
    PhoneLost,
    RemoveConfirmed,
    RemoveMember,
    RingEnded,
    SetLamp,
    SignIn,
    SignOut,
    StartWrapUpTimer,
    State,
    UnpauseMember,
    WrapUpExpired,
    diagram,
    step,
)

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
DEADLINE = NOW - timedelta(seconds=1)
EVENTS: dict[type[Event], Event] = {
    SignIn: SignIn(),
    SignOut: SignOut(),
    GoIdle: GoIdle(),
    GoBusy: GoBusy(reason=BusyReason.BREAK),
    ForceBusy: ForceBusy(reason=BusyReason.RECONCILED),
    Offered: Offered(),
    Answered: Answered(),
    Missed: Missed(),
    RingEnded: RingEnded(),
    CallEnded: CallEnded(wrap_up_s=30),
    WrapUpExpired: WrapUpExpired(deadline=DEADLINE),
    PhoneLost: PhoneLost(),
    PhoneBack: PhoneBack(),
    PauseConfirmed: PauseConfirmed(),
    RemoveConfirmed: RemoveConfirmed(),
}


def agent_in(state: State, **changes: object) -> Agent:
    reason = BusyReason.MANUAL if state is State.BUSY else None
    deadline = DEADLINE if state is State.WRAP_UP else None
    return dataclasses.replace(
        Agent("1001", state, reason, NOW - timedelta(minutes=5), deadline), **changes
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "transition", TRANSITIONS, ids=lambda t: f"{t.source.value}-{t.event.__name__}"
)
def test_every_row_of_the_table_goes_where_it_says(transition: object) -> None:
    t = transition
    agent, event = _example(t)
    new, _ = step(agent, event, NOW)
    assert new.state is t.target  # type: ignore[attr-defined]
    if new.state is not agent.state:
        assert new.since == NOW


SUPERVISOR = ForceBusy(reason=BusyReason.SUPERVISOR)


def _first_row(agent: Agent, event: Event) -> object:
    return next(
        t
        for t in TRANSITIONS
        if t.source is agent.state
        and type(event) is t.event
        and (t.guard is None or t.guard(agent, event))
    )


def _example(t: object) -> tuple[Agent, Event]:
    """An agent and an event that reach exactly this row of the table."""
    events = [EVENTS[t.event]] + ([SUPERVISOR] if t.event is ForceBusy else [])  # type: ignore[attr-defined]
    for changes in ({}, {"busy_pending": BusyReason.MANUAL}, {"sign_out_pending": True}):
        agent = agent_in(t.source, **changes)  # type: ignore[attr-defined]
        for event in events:
            with contextlib.suppress(StopIteration):
                if _first_row(agent, event) is t:
                    return agent, event
    raise AssertionError(f"no agent and event reach {t}")


def _has_row(state: State, event_type: type[Event], agent: Agent) -> bool:
    return any(
        t.source is state
        and t.event is event_type
        and (t.guard is None or t.guard(agent, EVENTS[event_type]))
        for t in TRANSITIONS
    )


ILLEGAL = [(s, e) for s in State for e in EVENTS if not _has_row(s, e, agent_in(s))]


@pytest.mark.parametrize(
    ("state", "event_type"), ILLEGAL, ids=[f"{s.value}-{e.__name__}" for s, e in ILLEGAL]
)
def test_every_event_without_a_row_is_refused_clearly(
    state: State, event_type: type[Event]
) -> None:
    with pytest.raises(IllegalTransition) as caught:
        step(agent_in(state), EVENTS[event_type], NOW)
    assert caught.value.code == "agent.illegal_transition"
    assert "1001" in caught.value.message


def test_illegal_list_is_what_the_design_says() -> None:
    names = {(s.value, e.__name__) for s, e in ILLEGAL}
    assert ("busy", "Offered") in names and ("wrap_up", "Offered") in names
    assert ("logged_out", "Offered") in names and ("on_call", "Offered") in names
    assert ("logged_out", "GoIdle") in names and ("on_call", "GoIdle") in names
    assert ("idle", "SignIn") in names


def test_sign_in_adds_paused_then_unpauses() -> None:
    new, commands = step(agent_in(State.LOGGED_OUT), SignIn(), NOW)
    assert new.state is State.IDLE
    assert commands == (AddMember("login"), UnpauseMember(), SetLamp(Lamp.NOT_INUSE))


def test_sign_in_with_the_phone_away_is_busy_unreachable_and_never_unpaused() -> None:
    new, commands = step(agent_in(State.LOGGED_OUT, phone_reachable=False), SignIn(), NOW)
    assert new.label == "busy(phone_unreachable)"
    assert not any(isinstance(c, UnpauseMember) for c in commands)


def test_call_end_starts_wrap_up_paused_with_a_stored_deadline() -> None:
    new, commands = step(agent_in(State.ON_CALL), CallEnded(wrap_up_s=30), NOW)
    deadline = NOW + timedelta(seconds=30)
    assert (new.state, new.wrap_up_deadline) == (State.WRAP_UP, deadline)
    assert commands == (PauseMember("wrap_up"), StartWrapUpTimer(deadline))


def test_call_end_sends_no_pause_when_asterisk_already_paused_the_member_for_wrap_up() -> None:
    """R4: the dialplan paused the member as the call ended and Asterisk said so before
    AgentComplete: a second pause would change nothing but cost Asterisk a walk."""
    new, commands = step(agent_in(State.ON_CALL), CallEnded(wrap_up_s=30, paused_as="wrap_up"), NOW)
    deadline = NOW + timedelta(seconds=30)
    assert new.state is State.WRAP_UP
    assert commands == (StartWrapUpTimer(deadline),)


@pytest.mark.parametrize("paused_as", [None, "manual", "ring_no_answer", ""])
def test_call_end_pauses_for_wrap_up_unless_asterisk_said_exactly_that(
    paused_as: str | None,
) -> None:
    _, commands = step(agent_in(State.ON_CALL), CallEnded(wrap_up_s=30, paused_as=paused_as), NOW)
    assert PauseMember("wrap_up") in commands


def test_a_call_sets_no_lamp_the_phone_and_the_pause_show_it() -> None:
    """The hint holds the desk phone and the member's pause (core/names.lamp_hint):
    Asterisk shows ringing and in use from the phone, wrap-up from R4's pause; the
    service sets nothing through a call (each change is a walk of every queue member)."""
    agent, lamps = agent_in(State.IDLE), []
    for event in (Offered(), Answered(), CallEnded(wrap_up_s=30)):
        agent, commands = step(agent, event, NOW)
        lamps += [c.lamp for c in commands if isinstance(c, SetLamp)]
    assert agent.state is State.WRAP_UP
    assert PauseMember("wrap_up") in commands  # what the lamp shows in wrap-up
    agent, commands = step(agent, WrapUpExpired(deadline=agent.wrap_up_deadline), NOW)
    lamps += [c.lamp for c in commands if isinstance(c, SetLamp)]
    assert agent.state is State.IDLE
    assert lamps == []


@pytest.mark.parametrize(
    ("state", "event", "lamp"),
    [
        (State.RINGING, Missed(), Lamp.BUSY),  # R3: the lamp says busy
        (State.RINGING, RingEnded(), None),  # idle again: the phone stopped ringing
        (State.BUSY, GoBusy(reason=BusyReason.BREAK), None),  # busy for another reason
        (State.ON_CALL, ForceBusy(reason=BusyReason.RECONCILED), Lamp.BUSY),
    ],
)
def test_a_lamp_is_set_only_when_it_changes(state: State, event: Event, lamp: Lamp | None) -> None:
    _new, commands = step(agent_in(state), event, NOW)
    assert [c.lamp for c in commands if isinstance(c, SetLamp)] == ([lamp] if lamp else [])


def test_wrap_up_deadline_makes_the_agent_idle() -> None:
    new, commands = step(agent_in(State.WRAP_UP), WrapUpExpired(deadline=DEADLINE), NOW)
    assert new.state is State.IDLE and UnpauseMember() in commands


def test_a_stale_wrap_up_timer_changes_nothing() -> None:
    agent = agent_in(State.WRAP_UP)
    assert step(agent, WrapUpExpired(deadline=DEADLINE - timedelta(seconds=9)), NOW) == (agent, ())


def test_wrap_up_deadline_with_the_phone_away_is_busy_not_idle() -> None:
    agent = agent_in(State.WRAP_UP, phone_reachable=False)
    new, commands = step(agent, WrapUpExpired(deadline=DEADLINE), NOW)
    assert new.label == "busy(phone_unreachable)"
    assert UnpauseMember() not in commands


def test_early_idle_ends_wrap_up() -> None:
    new, commands = step(agent_in(State.WRAP_UP), GoIdle(), NOW)
    assert (new.state, new.wrap_up_deadline) == (State.IDLE, None)
    assert UnpauseMember() in commands


def test_a_miss_forces_busy_ring_no_answer() -> None:
    new, commands = step(agent_in(State.RINGING), Missed(), NOW)
    assert new.label == "busy(ring_no_answer)"
    assert PauseMember("ring_no_answer") in commands


def test_a_lost_phone_forces_an_idle_agent_busy() -> None:
    new, commands = step(agent_in(State.IDLE), PhoneLost(), NOW)
    assert new.label == "busy(phone_unreachable)" and not new.phone_reachable
    assert PauseMember("phone_unreachable") in commands


def test_a_lost_phone_during_a_call_is_remembered_for_later() -> None:
    new, commands = step(agent_in(State.ON_CALL), PhoneLost(), NOW)
    assert (new.state, new.phone_reachable, commands) == (State.ON_CALL, False, ())


@pytest.mark.parametrize("state", [State.RINGING, State.ON_CALL])
def test_sign_out_during_a_call_waits_for_its_end(state: State) -> None:
    pending, commands = step(agent_in(state), SignOut(), NOW)
    assert pending.sign_out_pending and commands == ()
    if state is State.RINGING:
        pending, _ = step(pending, Answered(), NOW)
    done, commands = step(pending, CallEnded(wrap_up_s=30), NOW)
    assert done.state is State.LOGGED_OUT and RemoveMember() in commands


def test_a_supervisor_cannot_force_busy_during_a_call_but_reconciling_can() -> None:
    with pytest.raises(IllegalTransition, match="must wait for the call to end"):
        step(agent_in(State.ON_CALL), ForceBusy(reason=BusyReason.SUPERVISOR), NOW)
    new, commands = step(agent_in(State.ON_CALL), ForceBusy(reason=BusyReason.RECONCILED), NOW)
    assert new.label == "busy(reconciled)" and PauseMember("reconciled") in commands


def test_idle_with_the_phone_away_is_refused_with_the_reason() -> None:
    with pytest.raises(IllegalTransition, match="desk phone is not reachable"):
        step(agent_in(State.BUSY, phone_reachable=False), GoIdle(), NOW)


def test_no_transition_leaves_an_agent_unpaused_unless_it_goes_idle() -> None:
    """The core guarantee, checked over the whole table: only idle is unpaused."""
    for t in TRANSITIONS:
        agent, event = _example(t)
        new, commands = step(agent, event, NOW)
        if UnpauseMember() in commands:
            assert new.state is State.IDLE, t


def test_the_diagram_is_generated_from_the_table() -> None:
    text = diagram()
    assert text.startswith("stateDiagram-v2")
    assert "on_call --> wrap_up: CallEnded" in text
    assert "wrap_up --> idle: WrapUpExpired" in text
    assert "logged_out --> busy: SignIn [phone unreachable]" in text


def test_the_readme_shows_the_diagram_of_this_table() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"```mermaid\n{diagram()}```" in readme


# ---- leaving idle races app_queue: a request is in force once Asterisk confirms it ----


@pytest.mark.parametrize(
    ("request_", "reason"),
    [
        (GoBusy(), BusyReason.MANUAL),
        (GoBusy(reason=BusyReason.BREAK), BusyReason.BREAK),
        (ForceBusy(reason=BusyReason.SUPERVISOR), BusyReason.SUPERVISOR),
    ],
)
def test_busy_from_idle_is_pending_until_asterisk_confirms_the_pause(
    request_: Event, reason: BusyReason
) -> None:
    pending, commands = step(agent_in(State.IDLE), request_, NOW)
    assert (pending.state, pending.busy_pending) == (State.IDLE, reason)
    assert commands == (PauseMember(reason.value),)
    busy, commands = step(pending, PauseConfirmed(), NOW)
    assert busy.label == f"busy({reason.value})" and busy.busy_pending is None
    assert commands == (SetLamp(Lamp.BUSY),)


def test_an_offer_before_the_confirmation_is_adopted_and_busy_follows_the_wrap_up() -> None:
    agent, _ = step(agent_in(State.IDLE), GoBusy(), NOW)
    agent, _ = step(agent, Offered(linkedid="c1"), NOW)
    assert (agent.state, agent.busy_pending) == (State.RINGING, BusyReason.MANUAL)
    agent, commands = step(agent, PauseConfirmed(), NOW)  # lands while it rings
    assert (agent.state, commands) == (State.RINGING, ())
    agent, _ = step(agent, Answered(linkedid="c1"), NOW)
    agent, _ = step(agent, CallEnded(wrap_up_s=30), NOW)
    assert (agent.state, agent.busy_pending) == (State.WRAP_UP, BusyReason.MANUAL)
    agent, commands = step(agent, WrapUpExpired(deadline=agent.wrap_up_deadline), NOW)
    assert agent.label == "busy(manual)" and UnpauseMember() not in commands


def test_a_ring_that_ends_unanswered_leaves_the_pending_busy_in_force() -> None:
    agent, _ = step(agent_in(State.IDLE), GoBusy(), NOW)
    agent, _ = step(agent, Offered(), NOW)
    agent, commands = step(agent, RingEnded(), NOW)
    assert agent.label == "busy(manual)" and UnpauseMember() not in commands


def test_sign_out_from_idle_is_pending_until_asterisk_confirms_the_removal() -> None:
    pending, commands = step(agent_in(State.IDLE), SignOut(), NOW)
    assert (pending.state, pending.sign_out_pending, commands) == (
        State.IDLE,
        True,
        (RemoveMember(),),
    )
    out, _ = step(pending, RemoveConfirmed(), NOW)
    assert out.state is State.LOGGED_OUT and not out.sign_out_pending


def test_an_offer_before_the_removal_is_adopted_and_the_agent_leaves_when_it_ends() -> None:
    agent, _ = step(agent_in(State.IDLE), SignOut(), NOW)
    agent, _ = step(agent, Offered(), NOW)
    agent, _ = step(agent, RemoveConfirmed(), NOW)
    assert (agent.state, agent.sign_out_pending) == (State.RINGING, True)
    agent, _ = step(agent, Answered(), NOW)
    agent, commands = step(agent, CallEnded(wrap_up_s=30), NOW)
    assert agent.state is State.LOGGED_OUT and RemoveMember() in commands


def test_idle_while_a_busy_request_is_on_its_way_is_refused() -> None:
    pending, _ = step(agent_in(State.IDLE), GoBusy(), NOW)
    with pytest.raises(IllegalTransition):
        step(pending, GoIdle(), NOW)


def test_a_pause_nobody_asked_for_contradicts_an_idle_agent() -> None:
    with pytest.raises(IllegalTransition):
        step(agent_in(State.IDLE), PauseConfirmed(), NOW)
