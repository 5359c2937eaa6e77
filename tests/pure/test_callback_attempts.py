"""The dispatcher's pure decisions about one attempt (callback/attempts.py)."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from ami.actions import Originate
from ami.events import parse_event
from callback.attempts import (
    ANYONE,
    ForOwner,
    Reach,
    Step,
    for_owner,
    originate_for,
    reached,
    recorded_result,
    step_report,
    step_result,
    taken_by,
    unfinished_result,
)
from callback.model import AttemptResult, Callback, Kind, State
from callback.results import attempt_result
from calls.cel import CelRow
from core import names
from tests import cel_fixtures

NOW = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
R = AttemptResult
DAY = timedelta(days=1)
ATTEMPT = "3f2a9c1e-0000-4000-8000-00000000000a"


def callback(kind: Kind = Kind.VOICEMAIL, owner: str | None = None) -> Callback:
    return Callback(
        id=uuid.uuid4(),
        kind=kind,
        state=State.DISPATCHING,
        number="13800138000",
        created_at=NOW,
        priority_at=NOW,
        not_before=NOW,
        owner=owner,
        attempt_id=ATTEMPT,
    )


def row(eventtype: str, channame: str) -> CelRow:
    return CelRow(eventtype, NOW, "u", ATTEMPT, channame=channame)


TRUNK = f"PJSIP/{names.OUTBOUND_TRUNK}-00000009"
MEMBER = f"Local/2001@{names.AGENTS_LOCAL}-00000004;1"
QUEUE_HALF = f"Local/s@{names.CALLBACK_QUEUE}-00000003;2"


@pytest.mark.parametrize(
    ("rows", "reach"),
    [
        ([], Reach.NEVER_STARTED),
        ([row("CHAN_START", QUEUE_HALF), row("HANGUP", QUEUE_HALF)], Reach.NOBODY),
        ([row("ANSWER", QUEUE_HALF)], Reach.NOBODY),
        ([row("ANSWER", MEMBER), row("CHAN_START", TRUNK)], Reach.AGENT),
        ([row("ANSWER", MEMBER), row("ANSWER", TRUNK)], Reach.CITIZEN),
        ([row("CHAN_START", TRUNK), row("HANGUP", TRUNK)], Reach.NOBODY),
    ],
)
def test_whom_an_attempt_reached_by_cel(rows: list[CelRow], reach: Reach) -> None:
    assert reached(rows) is reach


def agent_row(
    extra: str, *, uniqueid: str = ATTEMPT, kind: str = names.CEL_CALLBACK_AGENT
) -> CelRow:
    return CelRow("USER_DEFINED", NOW, uniqueid, ATTEMPT, userdeftype=kind, extra=extra)


@pytest.mark.parametrize(
    ("rows", "agent"),
    [
        ([], None),
        ([row("ANSWER", MEMBER), row("ANSWER", TRUNK)], None),  # no agent row: not known
        ([row("ANSWER", MEMBER), agent_row('{"extra":"agent=1007"}')], "1007"),
        ([agent_row('{"extra":"agent="}')], None),  # app_queue gave no member name
        ([agent_row('{"extra":"agent=10x7"}')], None),  # never a job number
        ([agent_row('{"extra":"agent=1007&agent=1008"}')], "1007"),
        ([agent_row('{"extra":"queue=12333"}')], None),
        ([agent_row("agent=1007")], None),  # not cel_pgsql's JSON
        ([agent_row('["agent=1007"]')], None),
        ([agent_row('{"extra":"agent=1007"}', kind=names.CEL_CALL_END)], None),
        ([agent_row('{"extra":"agent=1007"}', uniqueid=ATTEMPT + "-q")], None),  # not the ;1 half
    ],
)
def test_the_agent_who_took_an_attempt_by_cel(rows: list[CelRow], agent: str | None) -> None:
    assert taken_by(rows) == agent


def hangup(dial_status: str, cause: int = 16, uniqueid: str = ATTEMPT) -> CelRow:
    extra = json.dumps({"hangupcause": cause, "hangupsource": "", "dialstatus": dial_status})
    return CelRow("HANGUP", NOW, uniqueid, ATTEMPT, extra=extra)


@pytest.mark.parametrize(
    ("rows", "result"),
    [
        ([], None),  # never started: dial it
        ([row("CHAN_START", QUEUE_HALF), hangup("")], R.NO_AGENT),
        ([row("ANSWER", MEMBER), hangup("")], R.NOT_CONFIRMED),  # never dialled
        ([row("ANSWER", MEMBER)], R.NOT_CONFIRMED),
        ([row("ANSWER", MEMBER), hangup("NOANSWER", 19)], R.NO_ANSWER),
        ([row("ANSWER", MEMBER), hangup("BUSY", 17)], R.BUSY),
        ([row("ANSWER", MEMBER), hangup("CHANUNAVAIL", 1)], R.INVALID_NUMBER),
        ([row("ANSWER", MEMBER), hangup("NOANSWER", uniqueid=ATTEMPT + "-q")], R.NOT_CONFIRMED),
        ([row("ANSWER", MEMBER), row("ANSWER", TRUNK), hangup("ANSWER")], R.ANSWERED),
        (cel_fixtures.cel_rows("callback-answered"), R.ANSWERED),
        (cel_fixtures.cel_rows("callback-not-confirmed"), R.NOT_CONFIRMED),
    ],
)
def test_an_attempts_result_by_cel(rows: list[CelRow], result: AttemptResult | None) -> None:
    assert recorded_result(rows, attempt_result) is result


@pytest.mark.parametrize(
    ("recording", "reach"),
    [("callback-answered", Reach.CITIZEN), ("callback-not-confirmed", Reach.AGENT)],
)
def test_a_recorded_attempt_names_its_agent(recording: str, reach: Reach) -> None:
    """Real rows (tests/fixtures/cel/): agent 1007 took both attempts."""
    rows = cel_fixtures.cel_rows(recording)
    assert (reached(rows), taken_by(rows)) == (reach, "1007")


@pytest.mark.parametrize(
    ("agent", "confirmed", "result"),
    [(False, False, R.NO_AGENT), (True, False, R.NOT_CONFIRMED), (True, True, R.FAILED)],
)
def test_an_attempt_that_ended_without_a_result(
    agent: bool, confirmed: bool, result: AttemptResult
) -> None:
    assert unfinished_result(agent_answered=agent, confirmed=confirmed) is result


def user_event(**headers: str) -> dict[str, str]:
    return {"Event": "UserEvent", "UserEvent": names.EVENT_CALLBACK, **headers}


def test_steps_are_read_from_the_user_event() -> None:
    event = parse_event(user_event(Attempt=ATTEMPT, Step="result", DialStatus="BUSY", Cause="17"))
    report = step_report(event)
    assert report is not None
    assert (report.attempt_id, report.step, report.dial_status) == (ATTEMPT, Step.RESULT, "BUSY")
    assert step_result(report, attempt_result) is R.BUSY
    assert step_report(parse_event(user_event(Attempt=ATTEMPT, Step="dance"))) is None
    other = {"Event": "UserEvent", "UserEvent": names.EVENT_NODE, "Step": "agent"}
    assert step_report(parse_event(other)) is None


def test_a_citizen_never_dialled_is_not_confirmed() -> None:
    headers = user_event(Attempt=ATTEMPT, Step="result", DialStatus=names.CALLBACK_NOT_CONFIRMED)
    report = step_report(parse_event({**headers, "Cause": "16"}))
    assert report is not None and step_result(report, attempt_result) is R.NOT_CONFIRMED


@pytest.mark.parametrize(
    ("kind", "owner", "slot", "at", "expected"),
    [
        # signed out: kept for the owner until the owner's time is over
        (
            Kind.ESCALATION,
            "1001",
            None,
            NOW + timedelta(seconds=599),
            ForOwner(keep_until=NOW + timedelta(seconds=600)),
        ),
        (Kind.ESCALATION, "1001", None, NOW + timedelta(seconds=600), ANYONE),
        # signed in: offered to the owner alone for the rest of that time
        (Kind.ESCALATION, "1001", 7, NOW, ForOwner(slot=7, wait_s=600)),
        (Kind.ESCALATION, "1001", 7, NOW + timedelta(seconds=599.5), ForOwner(slot=7, wait_s=1)),
        (Kind.ESCALATION, "1001", 7, NOW + timedelta(seconds=600), ANYONE),
        (Kind.ESCALATION, "1001", 0, NOW, ANYONE),  # not a slot the dialplan takes
        (Kind.ESCALATION, "1001", 10**9, NOW, ANYONE),
        (Kind.ESCALATION, None, 7, NOW, ANYONE),
        # any owner: a return visit, a voicemail a supervisor gave to an agent
        (Kind.RETURN_VISIT, "1001", 7, NOW, ForOwner(slot=7, wait_s=600)),
        (Kind.VOICEMAIL, "1001", None, NOW, ForOwner(keep_until=NOW + timedelta(seconds=600))),
        (Kind.VOICEMAIL, None, 7, NOW, ANYONE),
    ],
)
def test_an_owned_callback_is_its_owners_for_a_while(
    kind: Kind, owner: str | None, slot: int | None, at: datetime, expected: ForOwner
) -> None:
    assert for_owner(callback(kind, owner), at, wait_s=600, owner_slot=slot) == expected


def test_a_visit_scheduled_for_later_is_its_owners_from_its_time() -> None:
    visit = dataclasses.replace(callback(Kind.RETURN_VISIT, "1001"), priority_at=NOW + DAY)
    assert for_owner(visit, NOW + DAY, wait_s=600, owner_slot=None) == ForOwner(
        keep_until=NOW + DAY + timedelta(seconds=600)
    )


def test_a_reassigned_callback_is_the_new_owners_from_when_it_was_given() -> None:
    old = dataclasses.replace(callback(Kind.VOICEMAIL, "1001"), owner_since=NOW + DAY)
    assert for_owner(old, NOW + DAY, wait_s=600, owner_slot=7) == ForOwner(slot=7, wait_s=600)
    assert for_owner(old, NOW + DAY + timedelta(seconds=600), wait_s=600, owner_slot=7) == ANYONE


def test_the_originate_asks_for_the_owners_member_only_when_offered_to_the_owner() -> None:
    def originate(owner: ForOwner) -> Originate:
        return originate_for(
            callback(), ATTEMPT, caller_id="1", timeout_s=6, confirm_s=3, ring_s=3, owner=owner
        )

    anyone = originate(ANYONE)
    assert names.CALLBACK_OWNER_SLOT_VAR not in anyone.variables
    owned = originate(ForOwner(slot=7, wait_s=90))
    assert owned.variables[names.CALLBACK_OWNER_SLOT_VAR] == "7"
    assert owned.variables[names.CALLBACK_OWNER_WAIT_VAR] == "90"


def test_the_originate_refuses_an_attempt_id_the_dialplan_would_change() -> None:
    with pytest.raises(ValueError, match="dialplan"):
        originate_for(callback(), "A;1", caller_id="12333", timeout_s=60, confirm_s=30, ring_s=30)
    action = originate_for(
        callback(), ATTEMPT, caller_id="12333", timeout_s=60, confirm_s=30, ring_s=30
    )
    assert action.channel_id == ATTEMPT and action.queued_reply
