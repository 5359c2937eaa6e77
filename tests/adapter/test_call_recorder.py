"""The call recorder's timing around the fold: what it writes, and when."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import structlog

from ami.events import parse_event
from calls import service
from calls.model import CallRecord, HungUp
from calls.service import CallRecorder
from tests.pure.test_calls_model import answered, headless


class Written:
    """Stands in for ``DurableWrites`` (every write succeeds) and keeps the records."""

    def __init__(self) -> None:
        self.records: list[CallRecord] = []
        self.changed = asyncio.Event()

    async def write(self, _kind: str, _args: tuple[Any, ...], *, may_journal: bool) -> bool:
        return may_journal

    def recorded(self, record: CallRecord) -> None:
        self.records.append(record)
        self.changed.set()

    def hung_up_first(self) -> list[HungUp]:
        return [r.hung_up_first for r in self.records]


def recorder(written: Written) -> CallRecorder:
    return CallRecorder(
        ami=None,  # type: ignore[arg-type]  # events are fed to on_event directly
        pool=None,
        writes=written,  # type: ignore[arg-type]
        on_recorded=written.recorded,
    )


async def test_a_late_agent_complete_is_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "COMPLETION_WAIT_S", 5.0)
    written = Written()
    calls = recorder(written)
    *before, complete, member_gone, caller_gone = answered("agent")
    for event in [*before, member_gone, caller_gone]:
        calls.on_event(event)
    await asyncio.sleep(0)
    assert written.records == []  # not written without who hung up
    calls.on_event(complete)
    await asyncio.wait_for(written.changed.wait(), 1)
    assert written.hung_up_first() == [HungUp.AGENT]
    assert calls.drafts == {}


async def test_an_agent_complete_that_never_comes_is_given_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(service, "COMPLETION_WAIT_S", 0.05)
    written = Written()
    calls = recorder(written)
    for event in [e for e in answered("agent") if e.name != "AgentComplete"]:
        calls.on_event(event)
    await asyncio.wait_for(written.changed.wait(), 1)
    assert written.hung_up_first() == [HungUp.UNKNOWN]
    assert calls.drafts == {}


async def test_an_agent_complete_without_the_callers_snapshot_completes_its_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """app_queue sends AgentComplete without the caller's channel headers when the
    caller's channel is already gone ("sending incomplete event", ~1 % of calls in the
    soak at 12 calls/s): the member's DestLinkedid names the same call."""
    monkeypatch.setattr(service, "COMPLETION_WAIT_S", 5.0)
    written = Written()
    calls = recorder(written)
    *before, complete, member_gone, caller_gone = answered("agent")
    for event in [*before, member_gone, caller_gone]:
        calls.on_event(event)
    caller_headers = ("Channel", "Uniqueid", "Linkedid", "CallerIDNum", "CallerIDName")
    incomplete = {k: v for k, v in complete.raw.items() if k not in caller_headers}
    calls.on_event(parse_event({**incomplete, "DestLinkedid": complete.get("Linkedid")}))
    await asyncio.wait_for(written.changed.wait(), 1)
    assert written.hung_up_first() == [HungUp.AGENT]
    assert calls.drafts == {}


async def test_an_agent_complete_without_either_channel_completes_the_members_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When both channels are gone as app_queue reads them, AgentComplete comes with no
    Linkedid and no DestLinkedid (past the knee; what the hold test's CI failure fits):
    the member's open call is the one it completes — not given up as "who hung up:
    unknown"."""
    monkeypatch.setattr(service, "COMPLETION_WAIT_S", 0.2)
    written = Written()
    calls = recorder(written)
    *before, complete, member_gone, caller_gone = answered("caller")
    for event in [*before, member_gone, caller_gone]:
        calls.on_event(event)
    calls.on_event(headless(complete))
    await asyncio.wait_for(written.changed.wait(), 1)
    assert written.hung_up_first() == [HungUp.CALLER]
    assert calls.drafts == {}


@pytest.mark.parametrize("bare", [False, True], ids=["with its Linkedid", "with no channel"])
async def test_an_agent_complete_after_the_call_was_given_up_says_how_late_it_was_made(
    monkeypatch: pytest.MonkeyPatch, bare: bool
) -> None:
    """Past the knee app_queue makes AgentComplete seconds after the hang-up (then often
    with neither channel's headers); the row is written without it, and its late
    arrival is logged with Asterisk's own delay."""
    monkeypatch.setattr(service, "COMPLETION_WAIT_S", 0.05)
    written = Written()
    calls = recorder(written)
    events = answered("caller")
    complete = next(e for e in events if e.name == "AgentComplete")
    for event in [e for e in events if e is not complete]:
        calls.on_event(event)
    await asyncio.wait_for(written.changed.wait(), 1)
    assert written.hung_up_first() == [HungUp.UNKNOWN]
    late = parse_event({**complete.raw, "Timestamp": f"{complete.timestamp + 7.5:.6f}"})
    late = headless(late) if bare else late
    with structlog.testing.capture_logs() as logs:
        calls.on_event(late)
        calls.on_event(late)  # told once
    (line,) = [e for e in logs if e["event"] == "AgentComplete came after the call was written"]
    assert (line["call"], line["hung_up_first"]) == (complete.get("Linkedid"), "caller")
    assert line["made_late_s"] == pytest.approx(7.5 - 0.02, abs=0.002)  # after the Hangup
    assert calls.given_up == {}


async def test_calls_given_up_are_remembered_only_so_many(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "GIVEN_UP_KEPT", 2)
    written = Written()
    calls = recorder(written)
    events = answered("caller")
    for event in [e for e in events if e.name != "AgentComplete"]:
        calls.on_event(event)
    (waiting,) = calls.drafts.values()
    for n in range(3):
        calls.drafts[f"call-{n}"] = waiting
        calls._give_up(f"call-{n}")
    assert list(calls.given_up) == ["call-1", "call-2"]  # the oldest forgotten
