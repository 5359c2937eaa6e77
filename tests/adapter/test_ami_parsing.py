"""Parsing real recorded AMI traffic (tests/fixtures/ami/, recorded on Asterisk 22.10.1)
into typed events, however TCP happens to cut it."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from ami.events import (
    EVENT_TYPES,
    AgentCalled,
    AgentComplete,
    AgentConnect,
    BridgeEnter,
    Event,
    FullyBooted,
    Hangup,
    HungUpFirst,
    MemberStatus,
    QueueCallerJoin,
    QueueMemberStatus,
    UnknownEvent,
    UserEvent,
    parse_event,
)
from ami.protocol import GuardedProtocol

RECORDING = Path(__file__).parent.parent / "fixtures" / "ami" / "queue-calls-read-all.ami"
DATA = RECORDING.read_bytes()


class _Transport:
    def write(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        pass


def feed(chunks: list[bytes]) -> list[Event]:
    protocol = GuardedProtocol()
    events: list[Event] = []
    protocol.on_event = events.append
    protocol.connection_made(_Transport())
    for chunk in chunks:
        protocol.data_received(chunk)
    return events


def signature(events: list[Event]) -> list[tuple[type, dict[str, str]]]:
    return [(type(e), dict(e.raw)) for e in events]


REFERENCE = feed([DATA])


def test_recording_parses_into_its_860_events() -> None:
    assert len(REFERENCE) == 860


def test_typed_fields_carry_the_recorded_values() -> None:
    by_type: dict[type, list[Any]] = {}
    for event in REFERENCE:
        by_type.setdefault(type(event), []).append(event)
    assert len(by_type[FullyBooted]) == 1
    joins, called = by_type[QueueCallerJoin], by_type[AgentCalled]
    connects, completes = by_type[AgentConnect], by_type[AgentComplete]
    assert (len(joins), len(called), len(connects), len(completes)) == (10, 10, 10, 10)
    first = completes[0]
    assert first.reason is HungUpFirst.AGENT and first.talk_time_s == 2
    assert first.linkedid == first.uniqueid and first.timestamp > 1.7e9
    assert {c.linkedid for c in completes} == {j.linkedid for j in joins}
    # the recording's members go in use for each call and back: both states, parsed
    statuses = [e.status for e in by_type[QueueMemberStatus]]
    assert statuses.count(MemberStatus.INUSE) == statuses.count(MemberStatus.NOT_INUSE) == 10
    hangup = by_type[Hangup][0]
    assert (hangup.cause, hangup.cause_text) == (16, "Normal Clearing")
    assert all(e.bridge and e.bridge == e.raw["BridgeUniqueid"] for e in by_type[BridgeEnter])


def test_only_events_without_a_class_are_unknown() -> None:
    """An event with a class of its own is typed; the rest keep their name and headers."""
    names = {e.raw["Event"] for e in REFERENCE}
    assert names & EVENT_TYPES.keys() == {e.name for e in REFERENCE if type(e) is not UnknownEvent}
    for event in REFERENCE:
        expected = EVENT_TYPES.get(event.raw["Event"], UnknownEvent)
        assert type(event) is expected, event.raw["Event"]
    unknown = {e.name for e in REFERENCE if isinstance(e, UnknownEvent)}
    assert {"VarSet", "Newexten", "DialBegin"} <= unknown


H = {"Event": "", "Timestamp": "1800000000.250000"}


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        # the rule: member_name <- MemberName, a unit of ours dropped (hold_time_s <- HoldTime)
        (
            {"Event": "AgentConnect", "MemberName": "1001", "HoldTime": "7", "RingTime": "2"},
            {"member_name": "1001", "hold_time_s": 7, "ring_time_s": 2},
        ),
        ({"Event": "AgentRingNoAnswer", "RingTime": "15000"}, {"ring_time_ms": 15000}),
        (
            {"Event": "AgentComplete", "Reason": "caller", "TalkTime": "31"},
            {"reason": HungUpFirst.CALLER, "talk_time_s": 31},
        ),
        (
            {"Event": "QueueMemberPause", "Paused": "1", "Status": "6", "InCall": "0"},
            {"paused": True, "status": MemberStatus.RINGING, "in_call": False},
        ),
        ({"Event": "FullyBooted", "Uptime": "12"}, {"uptime_s": 12}),
        # where Asterisk spells the header otherwise
        (
            {"Event": "Newchannel", "CallerIDNum": "139", "CallerIDName": "张三"},
            {"caller_id_num": "139", "caller_id_name": "张三"},
        ),
        (
            {"Event": "QueueMember", "Name": "1001", "Location": "Local/2001@agents-local/n"},
            {"member_name": "1001", "interface": "Local/2001@agents-local/n"},
        ),
        (
            {"Event": "QueueMemberAdded", "MemberName": "1001", "Interface": "Local/2001@a/n"},
            {"member_name": "1001", "interface": "Local/2001@a/n"},
        ),
        (
            {"Event": "ContactStatus", "URI": "sip:a@b", "AOR": "2001", "EndpointName": "2001"},
            {"uri": "sip:a@b", "aor": "2001", "endpoint": "2001"},
        ),
        ({"Event": "Hangup", "Cause-txt": "Normal Clearing"}, {"cause_text": "Normal Clearing"}),
        ({"Event": "BridgeLeave", "BridgeUniqueid": "b-1"}, {"bridge": "b-1"}),
        ({"Event": "DTMFEnd", "DurationMs": "120"}, {"duration_ms": 120}),
        ({"Event": "SoftHangupRequest", "Cause": "4"}, {"cause": 4}),
        # missing or malformed numbers read as zero; the timestamp is Asterisk's
        ({"Event": "QueueParams", "Calls": "x"}, {"calls": 0, "timestamp": 1800000000.25}),
    ],
)
def test_each_field_reads_its_asterisk_header(
    headers: dict[str, str], expected: dict[str, Any]
) -> None:
    event = parse_event({**H, **headers})
    assert type(event) is EVENT_TYPES[headers["Event"]]
    assert {name: getattr(event, name) for name in expected} == expected


def test_one_byte_at_a_time_gives_the_same_events() -> None:
    """Every byte boundary of the recording is a read boundary here."""
    assert signature(feed([DATA[i : i + 1] for i in range(len(DATA))])) == signature(REFERENCE)


HEAD = DATA[: DATA.index(b"\r\n\r\n", 3000) + 4]  # banner, login reply, first events


def test_every_single_split_of_the_head_gives_the_same_events() -> None:
    reference = signature(feed([HEAD]))
    assert len(reference) >= 5
    for cut in range(1, len(HEAD)):
        assert signature(feed([HEAD[:cut], HEAD[cut:]])) == reference, cut


@pytest.mark.parametrize("seed", range(50))
def test_random_cuts_give_the_same_events(seed: int) -> None:
    rng = random.Random(seed)
    chunks, start = [], 0
    while start < len(DATA):
        size = rng.choice((1, 2, 3, 7, 64, 393, 394, 1500, 4096, 65536))
        chunks.append(DATA[start : start + size])
        start += size
    assert signature(feed(chunks)) == signature(REFERENCE)


def test_chinese_text_survives_a_cut_at_every_byte() -> None:
    name = "新疆维吾尔自治区 张三"
    message = f"Event: UserEvent\r\nUserEvent: Caller\r\nCallerIDName: {name}\r\n\r\n".encode()
    for cut in range(1, len(message)):
        (event,) = feed([message[:cut], message[cut:]])
        assert isinstance(event, UserEvent) and event.caller_id_name == name, cut
