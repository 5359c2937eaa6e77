"""A callback's life: every rule of the transition table, and every refusal."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from callback.model import (
    FINAL_STATES,
    TRANSITIONS,
    AgentAnswered,
    AttemptEnded,
    AttemptResult,
    Callback,
    Cancelled,
    Claimed,
    Event,
    IllegalCallbackTransition,
    Kind,
    LeaseRenewed,
    Merged,
    Outcome,
    OutcomeRecorded,
    Reason,
    Reassigned,
    Rescheduled,
    State,
    diagram,
    step,
)

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
EARLIER = NOW - timedelta(hours=2)
LATER = NOW + timedelta(minutes=30)
LEASE = NOW + timedelta(seconds=60)
ID = uuid.UUID(int=7)


def callback(state: State = State.OPEN, **changes: Any) -> Callback:
    """A voicemail callback in ``state`` with what that state carries."""
    carried: dict[str, Any] = {}
    if state is State.DISPATCHING:
        carried = {"attempt_id": "cb-old", "lease_until": LEASE, "attempts": 1}
    if state is State.IN_PROGRESS:
        carried = {"attempt_id": "cb-old", "agent": "1001", "attempts": 1}
    base = Callback(
        id=ID,
        kind=Kind.VOICEMAIL,
        state=state,
        number="13912345678",
        created_at=EARLIER,
        priority_at=EARLIER,
        not_before=EARLIER,
        reasons=(Reason(Kind.VOICEMAIL, EARLIER, msg_id="m1"),),
        **carried,
    )
    return dataclasses.replace(base, **changes)


def ended(result: AttemptResult, retry_at: datetime | None = None) -> AttemptEnded:
    return AttemptEnded(result, retry_at)


VOICEMAIL_2 = Reason(Kind.VOICEMAIL, NOW, msg_id="m2")
KEEP_PLACE = Reason(Kind.KEEP_PLACE, NOW, linkedid="c9", queue_joined_at=EARLIER - timedelta(1))

# (name, callback, event, what the result must have: state and changed fields)
CASES: list[tuple[str, Callback, Event, dict[str, Any]]] = [
    (
        "claim an open one",
        callback(),
        Claimed("cb-1", LEASE),
        {"state": State.DISPATCHING, "attempt_id": "cb-1", "lease_until": LEASE},
    ),
    (
        "reclaim when the lease ran out (a crash)",
        callback(State.DISPATCHING, lease_until=NOW, agent="1001"),
        Claimed("cb-2", LEASE),
        {"state": State.DISPATCHING, "attempt_id": "cb-2", "lease_until": LEASE, "agent": None},
    ),
    (
        "renew the lease",
        callback(State.DISPATCHING),
        LeaseRenewed(LEASE + timedelta(minutes=1)),
        {"state": State.DISPATCHING, "lease_until": LEASE + timedelta(minutes=1)},
    ),
    (
        "an agent answers: dispatching still, the citizen not called yet",
        callback(State.DISPATCHING),
        AgentAnswered("1001"),
        {"state": State.DISPATCHING, "agent": "1001", "attempt_id": "cb-old", "attempts": 1},
    ),
    (
        "answered: in progress, counted, lease gone",
        callback(State.DISPATCHING, agent="1001"),
        ended(AttemptResult.ANSWERED),
        {
            "state": State.IN_PROGRESS,
            "attempts": 2,
            "lease_until": None,
            "agent": "1001",
            "attempt_id": "cb-old",
        },
    ),
    (
        "no agent took it: open at the retry time, not counted",
        callback(State.DISPATCHING),
        ended(AttemptResult.NO_AGENT, LATER),
        {"state": State.OPEN, "attempts": 1, "not_before": LATER, "lease_until": None},
    ),
    (
        "no agent and no retry time: open at once",
        callback(State.DISPATCHING, agent="1001"),
        ended(AttemptResult.NO_AGENT),
        {"state": State.OPEN, "attempts": 1, "not_before": NOW, "agent": None},
    ),
    (
        "the agent did not confirm: open, never counted against the citizen",
        callback(State.DISPATCHING, agent="1001"),
        ended(AttemptResult.NOT_CONFIRMED, LATER),
        {
            "state": State.OPEN,
            "attempts": 1,
            "not_before": LATER,
            "agent": None,
            "attempt_id": None,
            "lease_until": None,
        },
    ),
    (
        "not confirmed, no retry time: open at once",
        callback(State.DISPATCHING),
        ended(AttemptResult.NOT_CONFIRMED),
        {"state": State.OPEN, "attempts": 1, "not_before": NOW},
    ),
    *(
        (
            f"{result.value}: counted, open at the retry time",
            callback(State.DISPATCHING, agent="1001"),
            ended(result, LATER),
            {
                "state": State.OPEN,
                "attempts": 2,
                "not_before": LATER,
                "agent": None,
                "attempt_id": None,
                "lease_until": None,
            },
        )
        for result in (AttemptResult.NO_ANSWER, AttemptResult.BUSY, AttemptResult.FAILED)
    ),
    *(
        (
            f"{result.value} without a retry time: failed, counted",
            callback(State.DISPATCHING),
            ended(result),
            {"state": State.FAILED, "attempts": 2, "lease_until": None},
        )
        for result in (AttemptResult.NO_ANSWER, AttemptResult.BUSY, AttemptResult.FAILED)
    ),
    (
        "an invalid number fails at once, even with a retry time",
        callback(State.DISPATCHING),
        ended(AttemptResult.INVALID_NUMBER, LATER),
        {"state": State.FAILED, "attempts": 2, "lease_until": None},
    ),
    *(
        (
            f"outcome {outcome.value}: done, outcome and note kept",
            callback(State.IN_PROGRESS),
            OutcomeRecorded(outcome, "told her the rules"),
            {
                "state": State.DONE,
                "outcome": outcome,
                "note": "told her the rules",
                "agent": "1001",
            },
        )
        for outcome in (Outcome.RESOLVED, Outcome.FORWARDED, Outcome.WRONG_NUMBER)
    ),
    (
        "follow up: open at its time, outcome and note kept, attempts afresh",
        callback(State.IN_PROGRESS),
        OutcomeRecorded(Outcome.FOLLOW_UP, "call after the review", LATER),
        {
            "state": State.OPEN,
            "not_before": LATER,
            "outcome": Outcome.FOLLOW_UP,
            "note": "call after the review",
            "attempts": 0,
            "agent": None,
            "attempt_id": None,
        },
    ),
    (
        "reschedule an open one",
        callback(),
        Rescheduled(LATER),
        {"state": State.OPEN, "not_before": LATER},
    ),
    (
        "reschedule one in progress: open again",
        callback(State.IN_PROGRESS),
        Rescheduled(LATER),
        {"state": State.OPEN, "not_before": LATER, "agent": None, "attempt_id": None},
    ),
    *(
        (
            f"reassign while {state.value}",
            callback(state, owner="1001"),
            Reassigned("1002"),
            {"state": state, "owner": "1002", "owner_since": NOW},
        )
        for state in (State.OPEN, State.DISPATCHING, State.IN_PROGRESS)
    ),
    (
        "reassign to anyone",
        callback(owner="1001"),
        Reassigned(None),
        {"state": State.OPEN, "owner": None, "owner_since": None},
    ),
    ("cancel an open one", callback(), Cancelled("duplicate"), {"state": State.CANCELLED}),
    (
        "merge a later voicemail: reason appended, priority kept",
        callback(),
        Merged(VOICEMAIL_2),
        {
            "state": State.OPEN,
            "reasons": (Reason(Kind.VOICEMAIL, EARLIER, msg_id="m1"), VOICEMAIL_2),
            "priority_at": EARLIER,
        },
    ),
    (
        "merge a keep-place that joined earlier: its join time is the priority",
        callback(State.DISPATCHING),
        Merged(KEEP_PLACE),
        {"state": State.DISPATCHING, "priority_at": EARLIER - timedelta(1)},
    ),
    (
        "merge with a priority given",
        callback(),
        Merged(VOICEMAIL_2, priority_at=EARLIER - timedelta(hours=1)),
        {"priority_at": EARLIER - timedelta(hours=1)},
    ),
]


@pytest.mark.parametrize(("name", "before", "event", "expected"), CASES, ids=[c[0] for c in CASES])
def test_each_rule_changes_what_it_says(
    name: str, before: Callback, event: Event, expected: dict[str, Any]
) -> None:
    after = step(before, event, NOW)
    assert {field: getattr(after, field) for field in expected} == expected
    assert after.updated_at == NOW  # every change is stamped
    untouched = {"id", "kind", "number", "created_at", "question", "due_at"}
    assert all(getattr(after, f) == getattr(before, f) for f in untouched)


def _row(before: Callback, event: Event) -> object:
    return next(
        t
        for t in TRANSITIONS
        if t.source is before.state
        and type(event) is t.event
        and (t.guard is None or t.guard(before, event, NOW))
    )


def test_every_row_of_the_table_has_a_case_that_reaches_its_target() -> None:
    reached = {id(_row(before, event)) for _, before, event, _ in CASES}
    missing = [t for t in TRANSITIONS if id(t) not in reached]
    assert not missing
    for _, before, event, _ in CASES:
        assert step(before, event, NOW).state is _row(before, event).target  # type: ignore[attr-defined]


EVENTS: list[Event] = [
    Claimed("cb-9", LEASE),
    LeaseRenewed(LEASE),
    AgentAnswered("1001"),
    *(ended(r, LATER) for r in AttemptResult),
    OutcomeRecorded(Outcome.RESOLVED),
    OutcomeRecorded(Outcome.FOLLOW_UP, follow_up_at=LATER),
    Rescheduled(LATER),
    Reassigned("1002"),
    Cancelled(),
    Merged(VOICEMAIL_2),
]

REFUSED: list[tuple[str, Callback, Event, str]] = [
    *(
        (f"{s.value} accepts nothing: {type(e).__name__}", callback(s), e, "closed")
        for s in sorted(FINAL_STATES, key=lambda s: s.value)
        for e in EVENTS
    ),
    (
        "a live lease is not claimed again",
        callback(State.DISPATCHING),
        Claimed("cb-2", LEASE),
        "lease",
    ),
    (
        "a dispatching one must be released before it is cancelled",
        callback(State.DISPATCHING),
        Cancelled(),
        "release it first",
    ),
    ("an in-progress one is not cancelled", callback(State.IN_PROGRESS), Cancelled(), ""),
    (
        "a follow-up needs its time",
        callback(State.IN_PROGRESS),
        OutcomeRecorded(Outcome.FOLLOW_UP),
        "follow_up_at",
    ),
    ("no outcome while open", callback(), OutcomeRecorded(Outcome.RESOLVED), ""),
    (
        "no outcome while dispatching",
        callback(State.DISPATCHING),
        OutcomeRecorded(Outcome.RESOLVED),
        "",
    ),
    ("an open one has no attempt to end", callback(), ended(AttemptResult.ANSWERED), ""),
    ("an open one has no lease", callback(), LeaseRenewed(LEASE), ""),
    ("an open one has no agent", callback(), AgentAnswered("1001"), ""),
    (
        "an in-progress one is not claimed",
        callback(State.IN_PROGRESS),
        Claimed("cb-2", LEASE),
        "",
    ),
    (
        "an attempt ends only once",
        callback(State.IN_PROGRESS),
        ended(AttemptResult.NO_ANSWER, LATER),
        "",
    ),
    ("nothing merges into one in progress", callback(State.IN_PROGRESS), Merged(VOICEMAIL_2), ""),
    ("a dispatching one is not rescheduled", callback(State.DISPATCHING), Rescheduled(LATER), ""),
]


@pytest.mark.parametrize(("name", "before", "event", "words"), REFUSED, ids=[r[0] for r in REFUSED])
def test_each_refusal_says_the_state_and_the_event(
    name: str, before: Callback, event: Event, words: str
) -> None:
    with pytest.raises(IllegalCallbackTransition) as caught:
        step(before, event, NOW)
    error = caught.value
    assert error.code == "callback.illegal_transition"
    assert before.state.value in error.message and str(before.id) in error.message
    assert type(event).__name__ in error.message or words in error.message
    assert words in error.message
    assert error.details["state"] == before.state.value
    assert error.details["event"] == type(event).__name__


def test_a_lease_holds_until_its_moment_then_may_be_taken_up() -> None:
    held = callback(State.DISPATCHING, lease_until=NOW + timedelta(microseconds=1))
    with pytest.raises(IllegalCallbackTransition):
        step(held, Claimed("cb-2", LEASE), NOW)
    assert step(held, Claimed("cb-2", LEASE), LEASE).attempt_id == "cb-2"


def test_the_diagram_is_generated_from_the_table() -> None:
    text = diagram()
    assert text.startswith("stateDiagram-v2\n    [*] --> open\n")
    assert "    open --> dispatching: Claimed\n" in text
    assert "    dispatching --> in_progress: AttemptEnded [answered]\n" in text
    assert "    dispatching --> failed: AttemptEnded [invalid number]\n" in text
    assert "    in_progress --> open: OutcomeRecorded [follow up]\n" in text
    assert "    open --> cancelled: Cancelled\n" in text
    assert text.endswith("    cancelled --> [*]\n")
    assert len(text.splitlines()) == len(set(text.splitlines()))


def test_the_readme_shows_the_diagram_of_this_table() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"```mermaid\n{diagram()}```" in readme
