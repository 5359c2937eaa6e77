"""Parsing real recorded AMI traffic (tests/fixtures/ami/, recorded on Asterisk 22.10.1)
into typed events, however TCP happens to cut it."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from ami.events import (
    AgentCalled,
    AgentComplete,
    AgentConnect,
    Event,
    FullyBooted,
    HungUpFirst,
    MemberStatus,
    QueueCallerJoin,
    QueueMemberStatus,
    UnknownEvent,
    UserEvent,
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
    statuses = {e.status for e in by_type[QueueMemberStatus]}
    assert statuses <= set(MemberStatus)
    assert all(isinstance(e, UnknownEvent) for e in by_type.get(UnknownEvent, []))


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
