"""A queue node's position / expected-wait announcements reach app_queue (issue 10).

The publisher writes them as queue settings (``queues.inc``) and reloads app_queue's
parameters. The proof is the caller's music on hold: app_queue stops it to play an
announcement and starts it again after, so a caller who waits 12 s with announcements
every 5 s gets several ``MusicOnHoldStart`` (one at join, one after each announcement);
without announcements exactly one. The signed-in (paused) member survives the reload.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ami import AmiClient
from asterisk_conf.sandbox.sipp import Sipp
from core.settings import Settings
from dialplan.model import Plan
from dialplan.plan_json import parse_plan
from dialplan.publish import AsteriskPublisher
from tests.e2e.agents import WAITING_MEMBER, keyed_call, waiting_member
from tests.e2e.conftest import EventLog
from tests.e2e.test_dialplan_publish import publish, publisher  # noqa: F401 (fixture)

CALLER = "13900905001"


def announcing_plan(entry: str, queue: str, every_s: int) -> Plan:
    return parse_plan(
        {
            "entry_numbers": [entry],
            "start": "q",
            "nodes": [
                {
                    "kind": "queue",
                    "id": "q",
                    "queue": queue,
                    "when_nobody": "bye",
                    "max_wait_s": 12,
                    "on_max_wait": "bye",
                    "announce_position": every_s > 0,
                    "announce_every_s": every_s,
                },
                {"kind": "hang_up", "id": "bye", "prompt": "t-bye"},
            ],
        }
    )


async def member_paused(ami: AmiClient, queue: str) -> str | None:
    """The waiting member's ``Paused`` in ``QueueStatus`` (None: not a member)."""
    reply = await ami.action("QueueStatus", {"Queue": queue}, as_list=True)
    for event in reply:
        if event.get("Event") == "QueueMember" and event.get("Location") == WAITING_MEMBER:
            return str(event.get("Paused"))
    return None


@pytest.fixture
async def quiet_after(
    publisher: AsteriskPublisher,  # noqa: F811
    service_ami: AmiClient,
) -> AsyncIterator[None]:
    yield
    # the publisher fixture puts the sandbox's files back; app_queue re-reads them too
    await service_ami.action("QueueReload", {"Parameters": "yes"}, as_list=False)


async def test_a_queue_node_announces_position_and_keeps_the_signed_in_member(
    settings: Settings,
    sipp: Sipp,
    observer: EventLog,
    service_ami: AmiClient,
    publisher: AsteriskPublisher,  # noqa: F811
    quiet_after: None,
) -> None:
    async with waiting_member(service_ami, settings.queue):
        assert await member_paused(service_ami, settings.queue) == "1"
        plan = announcing_plan(settings.entry_number, settings.queue, every_s=5)
        await publish(publisher, settings, [(plan, 905)])
        # QueueReload (parameters) keeps the dynamic member, still paused
        assert await member_paused(service_ami, settings.queue) == "1"
        result = await keyed_call(sipp, settings, CALLER, timeout_s=40)
        assert result.ok, result.output[-2000:]
        assert await member_paused(service_ami, settings.queue) == "1"
    joined = observer.matching("QueueCallerJoin", Queue=settings.queue, CallerIDNum=CALLER)
    assert joined, "the caller never waited in the queue"
    uniqueid = joined[-1][1].get("Uniqueid")
    starts = observer.matching("MusicOnHoldStart", Uniqueid=uniqueid)
    stops = observer.matching("MusicOnHoldStop", Uniqueid=uniqueid)
    # join at 0 s, announcements at about 0, 5 and 10 s: music restarted after each
    assert len(starts) >= 3 and len(stops) >= 2, (len(starts), len(stops))
