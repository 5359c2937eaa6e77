"""An owned escalation is offered to its owner first (issue 11), the Asterisk side with
raw AMI: every member is also in the owners' queue at its agent's slot as the penalty,
and the callback's queued half asks app_queue for exactly that penalty — for a while,
then it waits in the inbound queue for anyone. The inbound queue weighs more, so a
member is offered waiting inbound callers before an owned callback.

Desk phones here answer every call with 486 Busy Here: whom app_queue offers a call
(``AgentCalled``) is what these tests read, and no call is ever connected.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Callable

from ami import AmiActionFailed, AmiClient
from ami.actions import QueueAdd, QueuePause, QueueRemove
from ami.events import Event
from asterisk_conf.sandbox.sipp import Sipp
from core import names
from core.settings import Settings
from tests.e2e.conftest import EventLog
from tests.e2e.telephony import empty, originate_into_queue
from tests.e2e.test_callback_dialplan import originate_callback

CITIZEN = "13800138000"
# (job number, desk phone, SIPp port, slot); A's slot is lower: without the owner's
# penalty range app_queue would offer the owners' queue's callers to A first
A = ("1007", "2007", 5077, 7)
B = ("1008", "2008", 5078, 8)
CALLER_EXT = "2010"


@contextlib.asynccontextmanager
async def member(
    ami: AmiClient,
    sipp: Sipp,
    observer: EventLog,
    secrets: dict,
    queue: str,
    who: tuple[str, str, int, int],
) -> AsyncIterator[str]:
    """A signed-in member as the service adds one (its queue and the owners' queue at its
    slot), paused, with a desk phone that is reachable and answers 486."""
    job, ext, port, slot = who
    phone = sipp.phone(ext, secrets["phones"][ext], port, port + 1000)
    await phone.start(busy=True)
    interface = names.member_interface(ext)
    try:
        await reachable(observer, ext)
        for q, penalty in ((queue, 0), (names.OWNER_QUEUE, slot)):
            add = QueueAdd(q, interface, job, names.state_interface(ext), penalty=penalty)
            await ami.send(add)
            await ami.send(QueuePause(interface, True, queue=q, reason="test"))
        yield interface
    finally:
        for q in (queue, names.OWNER_QUEUE):
            with contextlib.suppress(AmiActionFailed):
                await ami.send(QueueRemove(q, interface))
        await phone.stop()


async def reachable(observer: EventLog, ext: str) -> None:
    """The phone's first qualify answered (the observer saw every event of this test)."""
    await observer.wait_for(
        lambda e: (
            e.name == "ContactStatus"
            and e.get("AOR") == ext
            and e.get("ContactStatus") == "Reachable"
        ),
        15,
    )


def offered(job: str, queue: str | None = None) -> Callable[[Event], bool]:
    return lambda e: (
        e.name == "AgentCalled"
        and e.get("MemberName") == job
        and (queue is None or e.get("Queue") == queue)
    )


async def emptied(ami: AmiClient, settings: Settings) -> AmiClient:
    for queue in (settings.queue, names.OWNER_QUEUE):
        await empty(ami, queue)
    return ami


async def test_an_owned_callback_rings_its_owner_alone_then_anyone_after_the_wait(
    service_ami: AmiClient, sipp: Sipp, secrets: dict, settings: Settings, observer: EventLog
) -> None:
    ami = await emptied(service_ami, settings)
    owner_wait_s = 3
    async with (
        member(ami, sipp, observer, secrets, settings.queue, A) as a,
        member(ami, sipp, observer, secrets, settings.queue, B) as b,
    ):
        for interface in (a, b):
            await ami.send(QueuePause(interface, False))  # idle: every queue
        started = time.monotonic()
        await originate_callback(
            ami,
            settings,
            str(uuid.uuid4()),
            CITIZEN,
            **{
                names.CALLBACK_OWNER_SLOT_VAR: str(B[3]),
                names.CALLBACK_OWNER_WAIT_VAR: str(owner_wait_s),
            },
        )
        first = await observer.wait_for(lambda e: e.name == "AgentCalled", 15)
        assert (first.get("MemberName"), first.get("Queue")) == (B[0], names.OWNER_QUEUE)
        # the owner's phone is busy: after the owner's wait, anyone in the inbound queue
        await observer.wait_for(offered(A[0], settings.queue), owner_wait_s + 15)
        # not before the owner's wait was over (app_queue counts it in whole seconds)
        assert time.monotonic() - started >= owner_wait_s - 1.1
    assert not observer.matching("AgentCalled", MemberName=A[0], Queue=names.OWNER_QUEUE)


async def test_an_owned_callback_whose_owner_is_signed_out_goes_to_anyone_at_once(
    service_ami: AmiClient, sipp: Sipp, secrets: dict, settings: Settings, observer: EventLog
) -> None:
    ami = await emptied(service_ami, settings)
    async with member(ami, sipp, observer, secrets, settings.queue, A) as a:
        await ami.send(QueuePause(a, False))
        attempt = str(uuid.uuid4())
        await originate_callback(
            ami,
            settings,
            attempt,
            CITIZEN,
            **{names.CALLBACK_OWNER_SLOT_VAR: str(B[3]), names.CALLBACK_OWNER_WAIT_VAR: "60"},
        )
        await observer.wait_for(offered(A[0], settings.queue), 10)
    # no member at B's slot: the callback never waited in the owners' queue
    assert not observer.matching("QueueCallerJoin", Queue=names.OWNER_QUEUE)


async def test_a_member_is_offered_a_waiting_inbound_caller_before_an_owned_callback(
    service_ami: AmiClient, sipp: Sipp, secrets: dict, settings: Settings, observer: EventLog
) -> None:
    ami = await emptied(service_ami, settings)
    async with member(ami, sipp, observer, secrets, settings.queue, B) as b:
        # both wait for B, who is busy (paused): an owned callback, then an inbound caller
        await originate_callback(
            ami,
            settings,
            str(uuid.uuid4()),
            CITIZEN,
            **{names.CALLBACK_OWNER_SLOT_VAR: str(B[3]), names.CALLBACK_OWNER_WAIT_VAR: "60"},
        )
        await observer.wait_for(
            lambda e: e.name == "QueueCallerJoin" and e.get("Queue") == names.OWNER_QUEUE, 10
        )
        caller = sipp.phone(CALLER_EXT, secrets["phones"][CALLER_EXT], 5080, 6080)
        await caller.start()
        try:
            await reachable(observer, CALLER_EXT)
            await originate_into_queue(ami, CALLER_EXT, settings.queue, {})
            await observer.wait_for(
                lambda e: e.name == "QueueCallerJoin" and e.get("Queue") == settings.queue, 10
            )
            await ami.send(QueuePause(b, False))  # B is idle: in every queue at once
            first = await observer.wait_for(lambda e: e.name == "AgentCalled", 10)
        finally:
            await caller.stop()
    assert (first.get("MemberName"), first.get("Queue")) == (B[0], settings.queue)
