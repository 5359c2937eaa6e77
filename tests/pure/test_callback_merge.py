"""Merge, link or create: what a new request does to the live callbacks for its number."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from callback.merge import Action, Decision, decide
from callback.model import Callback, Kind, Reason, Request, State

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
NUMBER = "13912345678"


def reason(kind: Kind, *, msg_id: str | None = None, linkedid: str | None = None) -> Reason:
    return Reason(kind, T0, msg_id=msg_id, linkedid=linkedid)


def request(kind: Kind, owner: str | None = None, **keys: str) -> Request:
    return Request(kind, NUMBER, reason(kind, **keys), T0, T0, owner=owner)


def live(
    n: int,
    kind: Kind,
    state: State = State.OPEN,
    owner: str | None = None,
    reasons: tuple[Reason, ...] = (),
    number: str = NUMBER,
    priority: int = 0,
) -> Callback:
    at = T0 - timedelta(minutes=priority)
    return Callback(uuid.UUID(int=n), kind, state, number, at, at, at, owner=owner, reasons=reasons)


VOICEMAIL = request(Kind.VOICEMAIL, msg_id="m2")
KEEP_PLACE = request(Kind.KEEP_PLACE, linkedid="call-2")
ESCALATION = request(Kind.ESCALATION, owner="1001", linkedid="call-2")
RETURN_VISIT = request(Kind.RETURN_VISIT, owner="1002")

VM_OPEN = live(1, Kind.VOICEMAIL, reasons=(reason(Kind.VOICEMAIL, msg_id="m1"),))
KP_DISPATCHING = live(
    2, Kind.KEEP_PLACE, State.DISPATCHING, reasons=(reason(Kind.KEEP_PLACE, linkedid="c1"),)
)
VM_IN_PROGRESS = live(3, Kind.VOICEMAIL, State.IN_PROGRESS)
ESC_OWNED = live(
    4, Kind.ESCALATION, owner="1001", reasons=(reason(Kind.ESCALATION, linkedid="c1"),)
)
RV_OWNED = live(5, Kind.RETURN_VISIT, owner="1002")
VM_REASSIGNED = live(6, Kind.VOICEMAIL, owner="1003")
VM_DONE_M2 = live(7, Kind.VOICEMAIL, State.DONE, reasons=(reason(Kind.VOICEMAIL, msg_id="m2"),))
VM_OTHER_NUMBER = live(8, Kind.VOICEMAIL, number="13800000000")
ESC_OWNERLESS = live(9, Kind.ESCALATION)


def target(n: int) -> uuid.UUID:
    return uuid.UUID(int=n)


CASES: list[tuple[str, Request, list[Callback], Decision]] = [
    ("nothing live: create", VOICEMAIL, [], Decision(Action.CREATE)),
    (
        "a voicemail merges into an open voicemail",
        VOICEMAIL,
        [VM_OPEN],
        Decision(Action.MERGE, target(1)),
    ),
    (
        "a voicemail merges into a dispatching keep-place",
        VOICEMAIL,
        [KP_DISPATCHING],
        Decision(Action.MERGE, target(2)),
    ),
    (
        "a keep-place merges into an open voicemail",
        KEEP_PLACE,
        [VM_OPEN],
        Decision(Action.MERGE, target(1)),
    ),
    (
        "into the one that goes first",
        VOICEMAIL,
        [VM_OPEN, live(10, Kind.VOICEMAIL, priority=5)],
        Decision(Action.MERGE, target(10)),
    ),
    (
        "merge rather than link when both are there",
        VOICEMAIL,
        [ESC_OWNED, VM_OPEN],
        Decision(Action.MERGE, target(1)),
    ),
    (
        "a voicemail is linked to an owned escalation, not merged",
        VOICEMAIL,
        [ESC_OWNED],
        Decision(Action.LINK, target(4)),
    ),
    (
        "a keep-place is linked to a return visit",
        KEEP_PLACE,
        [RV_OWNED],
        Decision(Action.LINK, target(5)),
    ),
    (
        "a voicemail callback given an owner takes no merges",
        VOICEMAIL,
        [VM_REASSIGNED],
        Decision(Action.LINK, target(6)),
    ),
    (
        "nothing merges into one in progress: linked",
        VOICEMAIL,
        [VM_IN_PROGRESS],
        Decision(Action.LINK, target(3)),
    ),
    (
        "an ownerless escalation takes no merges",
        VOICEMAIL,
        [ESC_OWNERLESS],
        Decision(Action.LINK, target(9)),
    ),
    (
        "an escalation keeps its owner: linked to the open voicemail",
        ESCALATION,
        [VM_OPEN],
        Decision(Action.LINK, target(1)),
    ),
    (
        "an escalation links to an owned one before an ownerless one",
        ESCALATION,
        [VM_OPEN, RV_OWNED],
        Decision(Action.LINK, target(5)),
    ),
    (
        "a return visit is linked to a live escalation",
        RETURN_VISIT,
        [ESC_OWNED],
        Decision(Action.LINK, target(4)),
    ),
    (
        "an owned voicemail-kind request is not merged",
        request(Kind.VOICEMAIL, owner="1001", msg_id="m9"),
        [VM_OPEN],
        Decision(Action.LINK, target(1)),
    ),
    (
        "an ownerless escalation does not merge into a voicemail",
        request(Kind.ESCALATION, linkedid="c7"),
        [VM_OPEN],
        Decision(Action.LINK, target(1)),
    ),
    (
        "an ownerless return visit does not merge into a keep-place",
        request(Kind.RETURN_VISIT),
        [KP_DISPATCHING],
        Decision(Action.LINK, target(2)),
    ),
    (
        "the same voicemail again",
        request(Kind.VOICEMAIL, msg_id="m1"),
        [VM_OPEN],
        Decision(Action.SAME, target(1)),
    ),
    (
        "the same voicemail, merged into a keep-place earlier",
        request(Kind.VOICEMAIL, msg_id="m3"),
        [
            live(
                2,
                Kind.KEEP_PLACE,
                reasons=(
                    reason(Kind.KEEP_PLACE, linkedid="c1"),
                    reason(Kind.VOICEMAIL, msg_id="m3"),
                ),
            )
        ],
        Decision(Action.SAME, target(2)),
    ),
    (
        "the same voicemail, its callback already done",
        VOICEMAIL,
        [VM_DONE_M2, VM_OPEN],
        Decision(Action.SAME, target(7)),
    ),
    (
        "the same keep-place (its call and kind)",
        request(Kind.KEEP_PLACE, linkedid="c1"),
        [KP_DISPATCHING],
        Decision(Action.SAME, target(2)),
    ),
    (
        "the same escalation (its call and kind)",
        request(Kind.ESCALATION, owner="1001", linkedid="c1"),
        [ESC_OWNED],
        Decision(Action.SAME, target(4)),
    ),
    (
        "a keep-place from the call of an escalation is another request",
        request(Kind.KEEP_PLACE, linkedid="c1"),
        [ESC_OWNED],
        Decision(Action.LINK, target(4)),
    ),
    (
        "an escalation from the call of a keep-place is another request",
        request(Kind.ESCALATION, owner="1001", linkedid="c1"),
        [KP_DISPATCHING],
        Decision(Action.LINK, target(2)),
    ),
    (
        "a voicemail without msg_id is never the same",
        request(Kind.VOICEMAIL),
        [live(11, Kind.VOICEMAIL, reasons=(reason(Kind.VOICEMAIL),))],
        Decision(Action.MERGE, target(11)),
    ),
    (
        "two return visits are two",
        RETURN_VISIT,
        [live(12, Kind.RETURN_VISIT, owner="1002", reasons=(RETURN_VISIT.reason,))],
        Decision(Action.LINK, target(12)),
    ),
    (
        "a done callback is not merged into or linked to",
        request(Kind.VOICEMAIL, msg_id="m9"),
        [VM_DONE_M2],
        Decision(Action.CREATE),
    ),
    (
        "another number's callback is not merged into",
        VOICEMAIL,
        [VM_OTHER_NUMBER],
        Decision(Action.CREATE),
    ),
]


@pytest.mark.parametrize(("name", "req", "callbacks", "decision"), CASES, ids=[c[0] for c in CASES])
def test_the_merge_rules(
    name: str, req: Request, callbacks: list[Callback], decision: Decision
) -> None:
    assert decide(req, callbacks) == decision
