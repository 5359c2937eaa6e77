"""The owners' queue holds an agent's member only while an owned callback is offered to
it (``AgentService.offer_owned`` / ``owned_offer_over``): joined paused as the agent is
in its other queues, left when the last offer is over, and always cleared at sign-out.
Every member there costs Asterisk a compare on each device-state change (README
"Capacity"), so a member nobody owes a callback is not there."""

from __future__ import annotations

import dataclasses

import pytest

from agent_state.carrier import AsteriskCarrier
from agent_state.interpret import LEFT_OWNERS, Sent, interpret
from agent_state.member import Member
from agent_state.model import Agent, BusyReason, RemoveMember, State
from agent_state.service import AgentService
from ami.events import QueueMemberRemoved
from core import names
from core.actor import Role
from tests.adapter.conftest import ClientFactory
from tests.adapter.fake_ami import FakeAmi, Received

MEMBER = Member("1001", "王芳", "2001", Role.AGENT, "", (("12333", 0),), owner_slot=7)
OWNERS = names.OWNER_QUEUE


async def service_with(client: ClientFactory, agent: Agent) -> AgentService:
    failed: list[str] = []
    carrier = AsteriskCarrier(await client(), on_failure=failed.append, lamps=False)
    service = AgentService(None, carrier, wrap_up_s=30)
    service.members = {"1001": MEMBER}
    service.agents = {"1001": agent}
    return service


def owners_actions(actions: list[Received]) -> list[tuple[str, str]]:
    """(action, Paused) of every action on the owners' queue, in order."""
    return [
        (a.name, a.headers.get("Paused", "")) for a in actions if a.headers.get("Queue") == OWNERS
    ]


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (Agent("1001", State.IDLE), [("queueadd", "true"), ("queuepause", "false")]),
        (Agent("1001", State.BUSY, BusyReason.MANUAL), [("queueadd", "true")]),
        (Agent("1001", State.WRAP_UP), [("queueadd", "true")]),
    ],
    ids=["idle", "busy", "wrap-up"],
)
async def test_an_offer_seats_the_member_paused_as_the_agent_is(
    fake: FakeAmi, client: ClientFactory, agent: Agent, expected: list[tuple[str, str]]
) -> None:
    service = await service_with(client, agent)
    assert await service.offer_owned("1001")
    assert owners_actions(fake.actions) == expected
    (add,) = fake.named("QueueAdd")
    assert (add.headers["Penalty"], add.headers["MemberName"]) == ("7", "1001")
    # the member Asterisk has now is expected there by the reconcile
    assert (OWNERS, 7) in service.seated("1001").asterisk_queues


async def test_the_seat_lasts_until_the_last_offer_is_over(
    fake: FakeAmi, client: ClientFactory
) -> None:
    service = await service_with(client, Agent("1001", State.IDLE))
    assert await service.offer_owned("1001")
    assert await service.offer_owned("1001")  # a second owned callback: same seat
    assert len(fake.named("QueueAdd")) == 1
    await service.owned_offer_over("1001")
    assert not fake.named("QueueRemove")
    await service.owned_offer_over("1001")
    (removed,) = fake.named("QueueRemove")
    assert removed.headers["Queue"] == OWNERS
    assert service.seated("1001").asterisk_queues == (("12333", 0),)
    await service.owned_offer_over("1001")  # one too many: nothing sent
    assert len(fake.named("QueueRemove")) == 1


async def test_a_signed_out_owner_gets_no_seat(fake: FakeAmi, client: ClientFactory) -> None:
    service = await service_with(client, Agent("1001", State.LOGGED_OUT))
    assert not await service.offer_owned("1001")
    assert not [a for a in fake.actions if a.name in ("queueadd", "queuepause")]


async def test_sign_out_clears_the_owners_queue_even_without_an_offer(
    fake: FakeAmi, client: ClientFactory
) -> None:
    """A restarted service does not know whether an offer seated the member."""
    carrier = AsteriskCarrier(await client(), on_failure=lambda job: None, lamps=False)
    await carrier.carry_out(MEMBER, Agent("1001", State.IDLE), (RemoveMember(),))
    assert [a.headers["Queue"] for a in fake.named("QueueRemove")] == ["12333", OWNERS]


def test_leaving_the_owners_queue_is_no_contradiction() -> None:
    """The service's own removal from the owners' queue, read back while the agent works
    on: nothing to do — where the same removal from its own queue is a disagreement."""
    idle = Agent("1001", State.IDLE)
    sent = Sent(((True, LEFT_OWNERS), (False, "")))
    left = QueueMemberRemoved(queue=OWNERS, member_name="1001")
    assert interpret(left, idle, sent, wrap_up_s=30) is None
    gone = dataclasses.replace(left, queue="12333")
    assert interpret(gone, idle, sent, wrap_up_s=30) is not None
    assert interpret(left, idle, Sent(((False, ""),)), wrap_up_s=30) is not None
