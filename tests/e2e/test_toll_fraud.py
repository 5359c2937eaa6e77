"""Toll fraud: who may make Asterisk do what, proven with the SIP final response.

A stranger (any address:port that is not the trunk's, no credentials) gets nothing
answered and no channel, whatever it dials and even with the trunk's name in From —
PJSIP identifies the trunk by address and port only (``identify_by = ip``). The trunk
itself reaches the entry number and nothing else: agent extensions, feature codes,
outside numbers and emergency numbers are refused before any channel exists.
"""

from __future__ import annotations

import itertools
import uuid

import pytest

from ami import AmiClient
from asterisk_conf.sandbox.sandbox import SANDBOX_EXTENSIONS
from asterisk_conf.sandbox.sipp import Sipp
from core import names
from core.settings import Settings
from tests.e2e.conftest import EventLog

TRUNK_ENDPOINT = "pstn-trunk"  # the endpoint's name in pjsip.conf
FOREIGN_PORT = 5099  # the trunk's address, not its port
STRANGER = "13800138000"
AGENT_EXTENSION = SANDBOX_EXTENSIONS[0]
OUTSIDE = "913800138000"
EMERGENCY = "110"
# symbolic targets, resolved against the settings at run time
ENTRY, FEATURE = "entry number", "feature code"

UNAUTHORIZED, NOT_FOUND, OK = 401, 404, 200


def target(settings: Settings, number: str) -> str:
    return {ENTRY: settings.entry_number, FEATURE: settings.feature_idle}.get(number, number)


async def probe_and_settle(
    sipp: Sipp,
    observer: EventLog,
    service_ami: AmiClient,
    number: str,
    from_user: str,
    local_port: int,
) -> tuple[int, list[tuple[str, str]]]:
    """The final response code, and every channel Asterisk created meanwhile
    (context, exten): a UserEvent sent after the response bounds the AMI events."""
    start = len(observer.events)
    status = await sipp.probe(number, from_user=from_user, local_port=local_port)
    marker = uuid.uuid4().hex
    await service_ami.action("UserEvent", {"UserEvent": "TollFraudProbe", "Marker": marker})
    await observer.wait_for(
        lambda e: e.name == "UserEvent" and e.get("Marker") == marker, timeout=5
    )
    channels = [
        (e.get("Context") or "", e.get("Exten") or "")
        for _, e in observer.events[start:]
        if e.name == "Newchannel"
    ]
    return status, channels


@pytest.mark.parametrize(
    ("number", "from_user"),
    [
        *itertools.product((ENTRY, AGENT_EXTENSION, FEATURE, OUTSIDE), (STRANGER, TRUNK_ENDPOINT)),
        # a desk phone's user name, without its password
        (ENTRY, AGENT_EXTENSION),
        (OUTSIDE, AGENT_EXTENSION),
    ],
)
async def test_a_stranger_gets_nothing_answered_and_no_channel(
    settings: Settings,
    sipp: Sipp,
    observer: EventLog,
    service_ami: AmiClient,
    number: str,
    from_user: str,
) -> None:
    assert settings.trunk_port != FOREIGN_PORT
    status, channels = await probe_and_settle(
        sipp, observer, service_ami, target(settings, number), from_user, FOREIGN_PORT
    )
    assert status == UNAUTHORIZED
    assert channels == []


@pytest.mark.parametrize("number", [AGENT_EXTENSION, FEATURE, OUTSIDE, EMERGENCY, "12345", "*11"])
async def test_the_trunk_reaches_nothing_but_the_entry_number(
    settings: Settings,
    sipp: Sipp,
    observer: EventLog,
    service_ami: AmiClient,
    number: str,
) -> None:
    status, channels = await probe_and_settle(
        sipp, observer, service_ami, target(settings, number), STRANGER, settings.trunk_port
    )
    assert status == NOT_FOUND
    assert channels == []


async def test_the_trunk_reaches_the_entry_number(
    settings: Settings, sipp: Sipp, observer: EventLog, service_ami: AmiClient
) -> None:
    """The control for the two tests above: the same probe, from the trunk, is answered
    and its channel is seen before the marker."""
    status, channels = await probe_and_settle(
        sipp, observer, service_ami, settings.entry_number, STRANGER, settings.trunk_port
    )
    assert status == OK
    assert (names.FROM_PSTN, settings.entry_number) in channels
