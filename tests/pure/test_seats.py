"""Hot desking (``agent_state.seats``): who may take which desk phone, whose phone it is
now, the member at the session's phone, and the reconcile plan with a hot-desked member."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from agent_state.member import Member
from agent_state.model import (
    AddMember,
    Agent,
    CallEnded,
    RemoveConfirmed,
    SignIn,
    SignOut,
    Source,
    State,
    step,
)
from agent_state.reconcile import plan
from agent_state.seats import (
    Desks,
    NotHomePhone,
    PhoneTaken,
    UnknownPhone,
    at_phone,
    holders,
    judged_members,
    seated,
)
from ami.events import QueueMember
from core.actor import Role

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def member(job: str) -> Member:
    return Member(job, f"坐席{job}", str(int(job) + 1000), Role.AGENT, "x", (("12333", 0),))


MEMBERS = {j: member(j) for j in ("1001", "1002", "1003")}
OUT = Agent("1002")


def at(job: str, phone: str, state: State = State.IDLE) -> Agent:
    return Agent(job, state, since=NOW, phone=phone)


# ---- who may take which phone ----------------------------------------------------------

HELD = {"2002": "1001"}  # agent 1001 works at agent 1002's home phone


@pytest.mark.parametrize(
    ("desks", "job", "phone", "refused"),
    [
        (Desks(), "1003", "2003", None),  # the home phone, free
        (Desks(), "1003", "2009", None),  # any desk phone (none listed: any)
        (Desks(), "1002", "2002", PhoneTaken),  # its own home phone, but 1001 is there
        (Desks(), "1003", "2002", PhoneTaken),
        (Desks(), "1001", "2002", None),  # its own seat (the model refuses a second sign-in)
        (Desks(phones=frozenset({"2001", "2003"})), "1001", "2003", None),
        (Desks(phones=frozenset({"2001", "2003"})), "1001", "2009", UnknownPhone),
        (Desks(hot_desking=False), "1003", "2003", None),
        (Desks(hot_desking=False), "1003", "2009", NotHomePhone),
        (Desks(hot_desking=False), "1002", "2002", PhoneTaken),
    ],
)
def test_who_may_take_which_phone(
    desks: Desks, job: str, phone: str, refused: type[Exception] | None
) -> None:
    why = desks.refusal(job, phone, member(job).extension, HELD)
    assert type(why) is (refused or type(None))
    if isinstance(why, PhoneTaken):
        assert why.code == "agent.phone_taken" and why.details == {"phone": phone}
        assert "1001" in why.message


@pytest.mark.parametrize(
    ("desks", "phone", "may"),
    [
        (Desks(), "2009", True),  # a desk phone nobody calls home
        (Desks(phones=frozenset({"2001"})), "2009", False),
        (Desks(hot_desking=False), "2009", False),
        (Desks(hot_desking=False), "2002", True),
    ],
)
def test_where_anyone_may_sign_in(desks: Desks, phone: str, may: bool) -> None:
    assert desks.may_sit_at(phone, MEMBERS) is may


def test_the_phones_held_are_the_signed_in_agents_sessions() -> None:
    agents = {"1001": at("1001", "2002"), "1002": OUT, "1003": at("1003", "2003", State.BUSY)}
    assert holders(MEMBERS, agents) == {"2002": "1001", "2003": "1003"}


# ---- whose phone it is now ---------------------------------------------------------------


def test_a_phone_belongs_to_whoever_signed_in_there() -> None:
    agents = {"1001": at("1001", "2002"), "1002": OUT, "1003": Agent("1003")}
    here = at_phone("2002", MEMBERS, agents)
    assert here is not None and here.job_number == "1001" and here.phone == "2002"
    assert at_phone("2001", MEMBERS, agents) is None  # its home agent works elsewhere
    home = at_phone("2003", MEMBERS, agents)  # nobody there: its home agent
    assert home is not None and home.job_number == "1003"
    assert at_phone("2009", MEMBERS, agents) is None


def test_the_member_rings_the_sessions_phone() -> None:
    hot = seated(member("1001"), at("1001", "2002"))
    assert hot.interface == "Local/2002@agents-local/n"
    assert hot.state_interface == "PJSIP/2002"
    assert hot.extension == "2001"  # the home extension stays the account's
    assert seated(member("1001"), Agent("1001")).interface == "Local/2001@agents-local/n"


# ---- the model keeps the phone for the session -------------------------------------------


def test_signing_in_takes_the_phone_and_signing_out_frees_it() -> None:
    agent, commands = step(
        Agent("1001", phone_reachable=False),
        SignIn(source=Source.PHONE, phone="2002", phone_reachable=True),
        NOW,
    )
    assert (agent.state, agent.phone, agent.phone_reachable) == (State.IDLE, "2002", True)
    assert AddMember("login") in commands
    busy, _ = step(dataclasses.replace(agent, state=State.BUSY), SignOut(), NOW)
    assert busy.state is State.LOGGED_OUT and busy.phone is None
    on_call = at("1001", "2002", State.ON_CALL)
    wrap_up, _ = step(on_call, CallEnded(wrap_up_s=30), NOW)
    assert wrap_up.phone == "2002"  # kept while signed in
    leaving, _ = step(at("1001", "2002"), SignOut(), NOW)
    assert leaving.phone == "2002"  # the removal is on its way: still there
    gone, _ = step(leaving, RemoveConfirmed(), NOW)
    assert gone.phone is None


def test_a_sign_in_naming_no_reachability_keeps_what_is_known() -> None:
    agent, _ = step(Agent("1001", phone_reachable=False), SignIn(phone="2001"), NOW)
    assert agent.label == "busy(phone_unreachable)" and agent.phone == "2001"


# ---- the reconcile plan with a hot-desked member -----------------------------------------


def _seen(job: str, phone: str, *, paused: bool) -> QueueMember:
    return QueueMember(
        queue="12333",
        member_name=job,
        interface=f"Local/{phone}@agents-local/n",
        paused=paused,
    )


def test_a_member_at_another_agents_phone_is_still_its_agents() -> None:
    agents = {"1001": at("1001", "2002"), "1002": OUT, "1003": Agent("1003")}
    members = judged_members(MEMBERS, agents)
    todo = plan(members, agents, [_seen("1001", "2002", paused=False)], {})
    assert (todo.remove, todo.restore, todo.force_busy) == ((), (), ())


def test_a_hot_desked_member_known_only_by_its_interface_is_kept() -> None:
    """No MemberName (a member added by hand, say): the phone's signed-in agent owns it,
    not the phone's home agent (signed out)."""
    agents = {"1001": at("1001", "2002"), "1002": OUT, "1003": Agent("1003")}
    nameless = dataclasses.replace(_seen("1001", "2002", paused=False), member_name="")
    todo = plan(judged_members(MEMBERS, agents), agents, [nameless], {})
    assert (todo.remove, todo.restore, todo.force_busy) == ((), (), ())


def test_a_member_left_at_the_home_phone_is_removed_and_the_session_restored() -> None:
    agents = {"1001": at("1001", "2002"), "1002": OUT, "1003": Agent("1003")}
    todo = plan(judged_members(MEMBERS, agents), agents, [_seen("1001", "2001", paused=True)], {})
    assert todo.restore == (("1001", ("12333",)),)
    assert ("12333", "Local/2001@agents-local/n") in todo.remove
    assert todo.force_busy == ("1001",)


def test_the_sessions_phone_is_the_one_judged_reachable() -> None:
    agents = {"1001": at("1001", "2002"), "1002": OUT, "1003": Agent("1003")}
    devices = {"PJSIP/2001": "UNAVAILABLE", "PJSIP/2002": "NOT_INUSE"}
    observed = [_seen("1001", "2002", paused=False)]
    assert plan(judged_members(MEMBERS, agents), agents, observed, devices).phone_lost == ()
    devices = {"PJSIP/2001": "NOT_INUSE", "PJSIP/2002": "UNAVAILABLE"}
    lost = plan(judged_members(MEMBERS, agents), agents, observed, devices).phone_lost
    assert "1001" in lost
