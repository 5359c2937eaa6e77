"""The reconcile plan (``agent_state.reconcile.plan``): the database's agents against
Asterisk's members; busy(reconciled), never idle, where they disagree — and why."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from agent_state.member import Member
from agent_state.model import Agent, BusyReason, State
from agent_state.reconcile import plan
from ami.events import MemberStatus, QueueMember
from core import names
from core.actor import Role

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def member(job: str, queues: tuple[str, ...] = ("12333",)) -> Member:
    ext = str(int(job) + 1000)
    return Member(job, f"坐席{job}", ext, Role.AGENT, "x", tuple((q, 0) for q in queues))


def agent(job: str, state: State, **changes: object) -> Agent:
    reason = BusyReason.MANUAL if state is State.BUSY else None
    return dataclasses.replace(Agent(job, state, reason, NOW), **changes)  # type: ignore[arg-type]


def seen(
    job: str, *, paused: bool, queue: str = "12333", reason: str = "", **kw: object
) -> QueueMember:
    m = member(job)
    return QueueMember(
        queue=queue,
        member_name=job,
        interface=m.interface,
        paused=paused,
        paused_reason=reason,
        **kw,  # type: ignore[arg-type]
    )


MEMBERS = {j: member(j) for j in ("1001", "1002", "1003")}


def test_agreement_plans_nothing() -> None:
    agents = {"1001": agent("1001", State.IDLE), "1002": agent("1002", State.BUSY)}
    observed = [seen("1001", paused=False), seen("1002", paused=True, reason="manual")]
    todo = plan(MEMBERS, agents, observed, {})
    assert (todo.force_busy, todo.restore, todo.remove) == ((), (), ())


def test_a_pause_changed_while_the_service_was_away_is_busy_reconciled_with_why() -> None:
    agents = {"1001": agent("1001", State.BUSY)}
    todo = plan(MEMBERS, agents, [seen("1001", paused=False)], {})
    assert todo.force_busy == ("1001",)
    assert "busy(manual)" in todo.why["1001"] and "unpaused" in todo.why["1001"]


def test_an_idle_agent_paused_in_asterisk_becomes_busy_not_idle() -> None:
    agents = {"1001": agent("1001", State.IDLE)}
    todo = plan(MEMBERS, agents, [seen("1001", paused=True, reason="lunch")], {})
    assert todo.force_busy == ("1001",) and "lunch" in todo.why["1001"]


def test_a_member_asterisk_lost_is_restored_paused_and_the_agent_busy() -> None:
    agents = {"1001": agent("1001", State.IDLE)}
    todo = plan(MEMBERS, agents, [], {})
    assert todo.restore == (("1001", ("12333",)),) and todo.force_busy == ("1001",)
    assert "not a member of queue 12333" in todo.why["1001"]


def test_a_member_of_a_signed_out_or_unknown_agent_is_removed() -> None:
    agents = {"1001": agent("1001", State.LOGGED_OUT)}
    stranger = QueueMember(queue="12333", member_name="x", interface="Local/9999@agents-local/n")
    todo = plan(MEMBERS, agents, [seen("1001", paused=False), stranger], {})
    assert set(todo.remove) == {
        ("12333", MEMBERS["1001"].interface),
        ("12333", "Local/9999@agents-local/n"),
    }


def test_a_call_the_database_has_but_asterisk_does_not_is_reconciled() -> None:
    agents = {"1001": agent("1001", State.ON_CALL)}
    observed = [seen("1001", paused=False, in_call=False, status=MemberStatus.NOT_INUSE)]
    assert plan(MEMBERS, agents, observed, {}).force_busy == ("1001",)


def test_a_pending_busy_asterisk_shows_in_force_is_confirmed_not_reconciled() -> None:
    agents = {"1001": agent("1001", State.IDLE, busy_pending=BusyReason.MANUAL)}
    todo = plan(MEMBERS, agents, [seen("1001", paused=True, reason="manual")], {})
    assert (todo.confirm_busy, todo.force_busy) == (("1001",), ())


def test_a_pending_busy_asterisk_never_took_is_reconciled() -> None:
    agents = {"1001": agent("1001", State.IDLE, busy_pending=BusyReason.MANUAL)}
    todo = plan(MEMBERS, agents, [seen("1001", paused=False)], {})
    assert (todo.confirm_busy, todo.force_busy) == ((), ("1001",))


def test_a_pending_sign_out_is_confirmed_when_the_member_is_gone_else_sent_again() -> None:
    agents = {"1001": agent("1001", State.IDLE, sign_out_pending=True)}
    assert plan(MEMBERS, agents, [], {}).confirm_out == ("1001",)
    again = plan(MEMBERS, agents, [seen("1001", paused=False)], {})
    assert again.remove == (("12333", MEMBERS["1001"].interface),) and again.force_busy == ()


def test_an_agent_that_changed_after_the_snapshot_is_left_for_the_next_pass() -> None:
    """Asterisk's picture was asked for before the wrap-up deadline unpaused the member."""
    agents = {"1001": agent("1001", State.IDLE)}
    stale = [seen("1001", paused=True, reason="wrap_up")]
    assert plan(MEMBERS, agents, stale, {}).force_busy == ("1001",)
    todo = plan(MEMBERS, agents, stale, {}, skip=frozenset({"1001"}))
    assert (todo.force_busy, todo.remove, todo.restore) == ((), (), ())


def test_phones_away_and_back() -> None:
    agents = {
        "1001": agent("1001", State.IDLE),
        "1002": agent("1002", State.BUSY, phone_reachable=False),
    }
    observed = [seen("1001", paused=False), seen("1002", paused=True, reason="manual")]
    todo = plan(MEMBERS, agents, observed, {"PJSIP/2001": "UNAVAILABLE", "PJSIP/2002": "NOT_INUSE"})
    assert (todo.phone_lost, todo.phone_back) == (("1001",), ("1002",))


def test_a_member_missing_from_the_owners_queue_is_restored_there_while_offered() -> None:
    """Owned escalations reach an agent through the owners' queue: while one is offered
    to it, a signed-in member Asterisk does not have there is restored, as in any of the
    agent's queues; with no offer it is not expected there (each member there costs
    Asterisk a compare on every device-state change)."""
    offered = {"1001": dataclasses.replace(member("1001"), owner_slot=3, owner_offer=True)}
    agents = {"1001": agent("1001", State.IDLE)}
    todo = plan(offered, agents, [seen("1001", paused=False)], {})
    assert todo.restore == (("1001", (names.OWNER_QUEUE,)),)
    there = seen("1001", paused=False, queue=names.OWNER_QUEUE)
    todo = plan(offered, agents, [seen("1001", paused=False), there], {})
    assert (todo.restore, todo.force_busy) == ((), ())
    slot_only = {"1001": dataclasses.replace(member("1001"), owner_slot=3)}
    todo = plan(slot_only, agents, [seen("1001", paused=False)], {})
    assert (todo.restore, todo.force_busy) == ((), ())


def test_a_member_left_in_the_owners_queue_is_judged_there_too() -> None:
    """A restarted service does not know which offer put a member in the owners' queue:
    it stays there (a sign-out removes it), and its pause must agree there as anywhere."""
    slot_only = {"1001": dataclasses.replace(member("1001"), owner_slot=3)}
    agents = {"1001": agent("1001", State.BUSY)}
    busy_there = seen("1001", paused=True, reason="manual", queue=names.OWNER_QUEUE)
    todo = plan(slot_only, agents, [seen("1001", paused=True, reason="manual"), busy_there], {})
    assert (todo.restore, todo.force_busy, todo.remove) == ((), (), ())
    ready_there = seen("1001", paused=False, queue=names.OWNER_QUEUE)
    todo = plan(slot_only, agents, [seen("1001", paused=True, reason="manual"), ready_there], {})
    assert todo.force_busy == ("1001",) and names.OWNER_QUEUE in todo.why["1001"]


def lamp(job: str, state: str) -> dict[str, str]:
    return {names.lamp_device(job): state}


def test_a_lamp_that_shows_something_else_is_set_again_where_the_centre_has_lamps() -> None:
    """An agent idle again after a wrap-up an older version showed ONHOLD, a busy agent
    whose lamp was set by hand, a signed-in agent whose lamp Asterisk never had: each
    set again. A signed-out agent's lamp Asterisk never had is left (its hint shows
    nothing else); one that agrees is left; one that changed since the snapshot waits."""
    agents = {
        "1001": agent("1001", State.IDLE),
        "1002": agent("1002", State.BUSY),
        "1003": agent("1003", State.WRAP_UP),
    }
    observed = [
        seen("1001", paused=False),
        seen("1002", paused=True, reason="manual"),
        seen("1003", paused=True, reason=names.PAUSE_WRAP_UP),
    ]
    members = {**MEMBERS, "1004": member("1004"), "1005": member("1005")}
    states = {
        **lamp("1001", "ONHOLD"),
        **lamp("1002", "NOT_INUSE"),
        **lamp("1004", "NOT_INUSE"),  # signed out, yet shown free
    }
    todo = plan(members, agents, observed, states, lamps=True)
    assert todo.force_busy == ()
    assert todo.lamps == ("1001", "1002", "1003", "1004")
    assert plan(members, agents, observed, states).lamps == ()  # no lamps in this centre
    right = {
        **lamp("1001", "NOT_INUSE"),
        **lamp("1002", "BUSY"),
        **lamp("1003", "NOT_INUSE"),  # wrap-up shows through the member's pause
        **lamp("1004", "UNAVAILABLE"),
    }
    assert plan(members, agents, observed, right, lamps=True).lamps == ()
    skip = frozenset({"1001"})
    assert "1001" not in plan(members, agents, observed, states, skip=skip, lamps=True).lamps


def test_an_agent_forced_busy_gets_its_lamp_with_the_change_not_twice() -> None:
    agents = {"1001": agent("1001", State.IDLE)}
    todo = plan(MEMBERS, agents, [seen("1001", paused=True)], lamp("1001", "ONHOLD"), lamps=True)
    assert (todo.force_busy, todo.lamps) == (("1001",), ())
