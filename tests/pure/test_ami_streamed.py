"""The events Asterisk streams to the service (ami/events.py STREAMED): a handler for
any other is refused when it is attached, not left to wait for events that never come."""

from __future__ import annotations

import pytest

from ami import AmiClient, AmiNotStreamed
from ami.events import EVENT_TYPES, STREAMED, STREAMED_NAMES


def client(streamed: tuple[str, ...] | None) -> AmiClient:
    return AmiClient("127.0.0.1", 5038, "hotline", "s" * 20, streamed=streamed)


@pytest.mark.parametrize("pattern", ["AgentConnect", "Agent*", "Hangup*", "QueueCaller*", "*"])
def test_a_handler_for_streamed_events_is_attached(pattern: str) -> None:
    ami = client(STREAMED_NAMES)
    ami.on_event(pattern, lambda _event: None)
    assert [p for p, _handler in ami._handlers] == [pattern]


@pytest.mark.parametrize("pattern", ["Newstate", "DeviceStateChange", "Bridge*", "VarSet"])
def test_a_handler_for_events_never_streamed_is_refused(pattern: str) -> None:
    ami = client(STREAMED_NAMES)
    with pytest.raises(AmiNotStreamed) as refused:
        ami.on_event(pattern, lambda _event: None)
    assert refused.value.code == "ami.not_streamed"
    assert pattern in str(refused.value) and "STREAMED" in str(refused.value)
    assert ami._handlers == []


def test_without_a_filter_any_handler_is_attached() -> None:
    ami = client(None)
    ami.on_event("Newstate", lambda _event: None)
    assert len(ami._handlers_for("Newstate")) == 1


def test_every_streamed_event_has_its_class_and_nothing_is_listed_twice() -> None:
    assert all(EVENT_TYPES[cls.NAME] is cls for cls in STREAMED)
    assert len(set(STREAMED_NAMES)) == len(STREAMED_NAMES) == len(STREAMED)


def test_an_empty_filter_means_every_event_as_an_ami_user_without_only_events() -> None:
    ami = client(())
    ami.on_event("Newstate", lambda _event: None)
    assert ami.streamed is None and len(ami._handlers_for("Newstate")) == 1
