"""The callback API and intake on a real PostgreSQL: voicemails (the event and the spool,
each message once, its recording streamed), keep-your-place, escalations by desk phone
and by the API, return visits; each role gets its own; bad input is a clear 400.

No Asterisk: intake is fed parsed AMI events, and the spool is a folder of the test's
(``asterisk_root``). The dispatcher is a stand-in that records what it was asked."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ami.events import Event, parse_event
from callback import assembly, repo
from callback.intake import Intake
from callback.model import AgentAnswered, AttemptEnded, AttemptResult, Claimed
from callback.views import SERVICE
from calls import repo as calls_repo
from calls.model import CallRecord, HungUp, Outcome, Source
from core import names
from core.settings import Settings
from tests.e2e.agents import PIN
from tests.web.conftest import AGENT, OTHER, SUPERVISOR, Floor, open_floor
from web.app import CALENDAR, SETTINGS

AT = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
CALL = "1796025000.1"
MSG_ID = "1796025168-00000001"
TXT = (
    '[message]\norigmailbox=callbacks\ncallerid="" <13900139000>\n'
    "origtime=1796025168\nmsg_id={msg_id}\nduration=4\n"
)


class FakeAmi:
    def __init__(self) -> None:
        self.handlers: list[Any] = []

    def on_event(self, pattern: str, callback: Any) -> None:
        self.handlers.append(callback)


class FakeDispatcher:
    def __init__(self) -> None:
        self.confirmed: list[str] = []

    async def confirm(self, attempt_id: str) -> None:
        self.confirmed.append(attempt_id)


def user_event(name: str, **headers: str) -> Event:
    return parse_event({"Event": "UserEvent", "UserEvent": name, **headers})


def leave_message(root: Path, name: str, msg_id: str = MSG_ID) -> None:
    box = root / "spool" / names.VOICEMAIL_CONTEXT / names.VOICEMAIL_BOX / "INBOX"
    box.mkdir(parents=True, exist_ok=True)
    (box / f"{name}.txt").write_text(TXT.format(msg_id=msg_id))
    (box / f"{name}.wav").write_bytes(b"RIFF" + msg_id.encode())


@pytest.fixture
async def floor(fresh_db: str, settings: Settings, tmp_path: Path) -> AsyncIterator[Floor]:
    async with open_floor(
        fresh_db, settings, asterisk_root=tmp_path, voicemail_spool_dir="/spool"
    ) as opened:
        yield opened


def intake_of(floor: Floor) -> Intake:
    """Intake as the service wires it, on the floor's settings (the test's spool)."""
    app = floor.app
    return assembly.intake(app[SETTINGS], FakeAmi(), floor.pool, floor.service, app[CALENDAR])


async def answered_call(floor: Floor, linkedid: str, job: str, number: str) -> None:
    record = CallRecord(
        linkedid=linkedid,
        caller_number=number,
        caller_name="",
        entry_number="12333",
        entered_at=AT,
        ended_at=AT,
        outcome=Outcome.ANSWERED,
        hung_up_first=HungUp.CALLER,
        source=Source.AMI,
        agent_job_number=job,
        agent_answered_at=AT,
    )
    await calls_repo.insert(floor.pool, record)


async def listed(floor: Floor, query: str = "") -> list[dict[str, Any]]:
    headers = await floor.headers(SUPERVISOR)
    response = await floor.client.get(f"/api/callbacks{query}", headers=headers)
    assert response.status == 200, await response.text()
    return list((await response.json())["callbacks"])


# ---- voicemail ----------------------------------------------------------------------------


async def test_each_voicemail_becomes_one_callback_by_event_and_spool_alike(
    floor: Floor, tmp_path: Path, settings: Settings
) -> None:
    leave_message(tmp_path, "msg0000")
    leave_message(tmp_path, "msg0001", "1796025999-00000002")
    intake = intake_of(floor)
    event = user_event(
        names.EVENT_VOICEMAIL,
        Mailbox=names.voicemail_mailbox(),
        Status="SUCCESS",
        CallerID="13900139000",
        MsgId=MSG_ID,
        Linkedid=CALL,
    )
    first = await intake.voicemail(event)
    assert first is not None and first.created
    assert await intake.take_in_spool() == 1  # only the message the event did not bring
    assert await intake.take_in_spool() == 0  # a restart takes nothing in twice
    again = await intake.voicemail(event)
    assert again is not None and not again.created
    found = await listed(floor, "?kind=voicemail")
    # the same number: the two messages merged into one callback with both reasons
    assert len(found) == 1
    assert sorted(r["msg_id"] for r in found[0]["reasons"]) == [
        MSG_ID,
        "1796025999-00000002",
    ]
    assert found[0]["number"] == "13900139000"


async def test_the_recording_streams_from_the_spool_and_is_404_when_gone(
    floor: Floor, tmp_path: Path, settings: Settings
) -> None:
    leave_message(tmp_path, "msg0000")
    await intake_of(floor).take_in_spool()
    [callback] = await listed(floor)
    url = f"/api/callbacks/{callback['id']}/recording"
    supervisor = await floor.headers(SUPERVISOR)
    response = await floor.client.get(url, headers=supervisor)
    assert response.status == 200
    assert response.headers["Content-Type"] == "audio/wav"
    assert await response.read() == b"RIFF" + MSG_ID.encode()
    # an agent who does not own or work it may not listen
    response = await floor.client.get(url, headers=await floor.headers(AGENT))
    assert response.status == 403
    for bad in ("../../etc/passwd", "x" * 50):
        response = await floor.client.get(url, params={"msg_id": bad}, headers=supervisor)
        assert response.status == 400
    box = tmp_path / "spool" / names.VOICEMAIL_CONTEXT / names.VOICEMAIL_BOX / "INBOX"
    (box / "msg0000.wav").unlink()
    response = await floor.client.get(url, headers=supervisor)
    assert response.status == 404
    assert (await response.json())["error"] == "not_found"


async def test_a_message_from_a_number_that_fails_the_check_waits_for_a_supervisor(
    floor: Floor, tmp_path: Path, settings: Settings
) -> None:
    intake = intake_of(floor)
    event = user_event(
        names.EVENT_VOICEMAIL,
        Mailbox=names.voicemail_mailbox(),
        Status="SUCCESS",
        CallerID="16900",
        MsgId=MSG_ID,
    )
    opened = await intake.voicemail(event)
    assert opened is not None and opened.created
    [overdue] = await listed(floor, "?overdue=1")
    assert overdue["number"] == "" and overdue["overdue"] is True
    assert "16900" in overdue["question"]
    reschedule = await floor.client.post(
        f"/api/callbacks/{overdue['id']}/reschedule",
        json={"at": "2026-12-01T10:00"},
        headers=await floor.headers(SUPERVISOR),
    )
    assert reschedule.status == 409
    assert (await reschedule.json())["error"] == "callback.no_number"


# ---- keep your place, escalation by desk phone ----------------------------------------------


async def test_keep_your_place_is_a_callback_with_the_original_join_time(
    floor: Floor, tmp_path: Path, settings: Settings
) -> None:
    event = user_event(
        names.EVENT_KEEP_PLACE,
        Queue="12333",
        Position="2",
        JoinedAt="1796025000",
        CallerIDNum="13900139000",
        Linkedid=CALL,
    )
    intake = intake_of(floor)
    await intake.keep_place(event)
    await intake.keep_place(event)  # the same call's again: the same callback
    [kept] = await listed(floor, "?kind=keep_place")
    assert datetime.fromisoformat(kept["priority_at"]) == datetime.fromtimestamp(1796025000, UTC)
    assert kept["reasons"][0]["call"] == CALL


async def test_an_escalation_by_desk_phone_after_a_call_is_owned_by_that_agent(
    floor: Floor, tmp_path: Path, settings: Settings
) -> None:
    await answered_call(floor, CALL, AGENT, "13900139000")
    headers = await floor.headers(AGENT)
    signed_in = await floor.client.post(
        f"/api/agents/{AGENT}/state", headers=headers, json={"state": "sign_in", "pin": PIN}
    )
    assert signed_in.status == 200
    intake = intake_of(floor)
    extension = floor.service.member(AGENT).extension
    spoofed = user_event(
        names.EVENT_ESCALATE, Endpoint=extension, When="after", Channel="PJSIP/2999-00000001"
    )
    assert await intake.escalate(spoofed) is None  # the endpoint is not the channel's
    event = user_event(
        names.EVENT_ESCALATE, Endpoint=extension, When="after", Channel=f"PJSIP/{extension}-01"
    )
    opened = await intake.escalate(event)
    assert opened is not None and opened.created
    mine = await floor.client.get("/api/callbacks/mine", headers=headers)
    [escalated] = (await mine.json())["callbacks"]
    assert escalated["kind"] == "escalation"
    assert escalated["owner"] == AGENT
    assert escalated["number"] == "13900139000"
    assert escalated["reasons"][0]["call"] == CALL
    assert escalated["due_at"] is not None


# ---- the API ------------------------------------------------------------------------------


async def test_an_agent_escalates_their_own_call_with_a_department_and_category(
    floor: Floor,
) -> None:
    await answered_call(floor, CALL, AGENT, "13900139000")
    await answered_call(floor, "1796025000.2", OTHER, "13900139001")
    headers = await floor.headers(AGENT)
    body = {
        "call": CALL,
        "category": "建议投诉",
        "question": "希望延长窗口办理时间\n周六也开放",
        "department": "办公室",
    }
    response = await floor.client.post("/api/callbacks/escalations", json=body, headers=headers)
    assert response.status == 201, await response.text()
    made = await response.json()
    assert (made["owner"], made["category"], made["department"]) == (AGENT, "建议投诉", "办公室")
    assert made["question"] == "希望延长窗口办理时间\n周六也开放"
    again = await floor.client.post("/api/callbacks/escalations", json=body, headers=headers)
    assert again.status == 200 and (await again.json())["id"] == made["id"]
    others = {**body, "call": "1796025000.2"}
    refused = await floor.client.post("/api/callbacks/escalations", json=others, headers=headers)
    assert refused.status == 409
    assert (await refused.json())["error"] == "callback.not_your_call"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "建议投诉", "question": "q"}, "call"),
        ({"call": "not a call", "category": "建议投诉", "question": "q"}, "call"),
        ({"call": CALL, "category": "没有这类", "question": "q"}, "category"),
        ({"call": CALL, "category": "建议投诉", "question": "a\x00b"}, "question"),
        ({"call": CALL, "category": "建议投诉", "question": "q", "owner": "x1"}, "owner"),
        ({"call": CALL, "category": "建议投诉", "question": "q", "due_at": "tomorrow"}, "due_at"),
        ({"call": CALL, "category": "建议投诉", "question": 5}, "question"),
    ],
)
async def test_a_malformed_escalation_is_a_clear_400(
    floor: Floor, body: dict[str, Any], field: str
) -> None:
    await answered_call(floor, CALL, AGENT, "13900139000")
    headers = await floor.headers(AGENT)
    response = await floor.client.post("/api/callbacks/escalations", json=body, headers=headers)
    assert response.status == 400, await response.text()
    answer = await response.json()
    assert answer["error"] == "input.invalid"
    assert field in answer["message"]


async def test_a_return_visit_is_scheduled_owned_and_its_number_checked(floor: Floor) -> None:
    headers = await floor.headers(AGENT)
    body = {"number": "13900139000", "at": "2026-12-01T10:00", "question": "回访:养老金到账"}
    response = await floor.client.post("/api/callbacks/return-visits", json=body, headers=headers)
    assert response.status == 201, await response.text()
    made = await response.json()
    assert made["owner"] == AGENT and made["kind"] == "return_visit"
    assert made["not_before"] == "2026-12-01T10:00:00+08:00"
    assert made["question"] == "回访:养老金到账"
    for number in ("900", "+442071234567", "1390013900"):  # short, abroad, a digit short
        bad = {**body, "number": number}
        refused = await floor.client.post("/api/callbacks/return-visits", json=bad, headers=headers)
        assert refused.status == 400
        assert (await refused.json())["error"] == "callback.invalid_number"
    detail = await floor.client.get(f"/api/callbacks/{made['id']}", headers=headers)
    shown = await detail.json()
    assert shown["script"] == (
        f"您好,这里是{floor.app[SERVICE].centre_name},我是{AGENT}号咨询员,"
        "请问您是×先生(女士、小姐)吗?"
    )
    assert shown["history"] and shown["attempts"] == []
    # the supervisor reads the same case with their own job number
    supervisor = await floor.client.get(
        f"/api/callbacks/{made['id']}", headers=await floor.headers(SUPERVISOR)
    )
    assert f"我是{SUPERVISOR}号咨询员" in (await supervisor.json())["script"]


async def _offered(floor: Floor, job: str) -> tuple[str, str]:
    """A return visit offered to agent ``job``: claimed, answered by the agent."""
    visit = await floor.client.post(
        "/api/callbacks/return-visits",
        json={"number": "13900139000", "at": "2026-11-30T09:00", "question": "回访"},
        headers=await floor.headers(SUPERVISOR),
    )
    callback_id = uuid.UUID((await visit.json())["id"])
    attempt = "cb-attempt-1"
    now = datetime.now(UTC)
    await repo.apply(floor.pool, callback_id, Claimed(attempt, now + timedelta(minutes=1)), now)
    await repo.apply(floor.pool, callback_id, AgentAnswered(job), now)
    return str(callback_id), attempt


async def test_the_agent_working_it_confirms_the_dialling(floor: Floor) -> None:
    callback_id, attempt = await _offered(floor, AGENT)
    url = f"/api/callbacks/{callback_id}/confirm"
    unavailable = await floor.client.post(url, headers=await floor.headers(AGENT))
    assert unavailable.status == 503  # no dispatcher in this app
    dispatcher = FakeDispatcher()
    floor.app[SERVICE].dispatcher = dispatcher
    other = await floor.client.post(url, headers=await floor.headers(OTHER))
    assert other.status == 403
    supervisor = await floor.client.post(url, headers=await floor.headers(SUPERVISOR))
    assert supervisor.status == 409  # a supervisor does not dial for the agent
    response = await floor.client.post(url, headers=await floor.headers(AGENT))
    assert response.status == 200, await response.text()
    assert dispatcher.confirmed == [attempt]


async def test_the_outcome_ends_or_reopens_an_answered_callback(floor: Floor) -> None:
    callback_id, attempt = await _offered(floor, AGENT)
    now = datetime.now(UTC)
    ended = AttemptEnded(AttemptResult.ANSWERED)
    await repo.apply(floor.pool, uuid.UUID(callback_id), ended, now, attempt_id=attempt)
    headers = await floor.headers(AGENT)
    url = f"/api/callbacks/{callback_id}/outcome"
    missing = await floor.client.post(url, json={"outcome": "follow_up"}, headers=headers)
    assert missing.status == 400
    unknown = await floor.client.post(url, json={"outcome": "maybe"}, headers=headers)
    assert unknown.status == 400
    body = {"outcome": "resolved", "note": "已答复:养老金本月到账"}
    response = await floor.client.post(url, json=body, headers=headers)
    assert response.status == 200, await response.text()
    done = await response.json()
    assert (done["state"], done["outcome"], done["note"]) == (
        "done",
        "resolved",
        "已答复:养老金本月到账",
    )
    again = await floor.client.post(url, json=body, headers=headers)
    assert again.status == 409
    assert (await again.json())["error"] == "callback.illegal_transition"


async def test_a_supervisor_reassigns_and_cancels(floor: Floor) -> None:
    headers = await floor.headers(SUPERVISOR)
    visit = await floor.client.post(
        "/api/callbacks/return-visits",
        json={"number": "13900139000", "at": "2026-12-01T10:00", "question": "回访"},
        headers=headers,
    )
    url = f"/api/callbacks/{(await visit.json())['id']}"
    assert (await visit.json())["owner"] is None  # a supervisor's: anyone's
    moved = await floor.client.post(url + "/reassign", json={"owner": OTHER}, headers=headers)
    assert (await moved.json())["owner"] == OTHER
    # stored: the new owner's exclusive time counts from now (callback/attempts.for_owner)
    stored = await floor.client.get(url, headers=headers)
    assert (await stored.json())["owner_since"] is not None
    unknown = await floor.client.post(url + "/reassign", json={"owner": "4242"}, headers=headers)
    assert unknown.status == 400
    other = await floor.client.get("/api/callbacks/mine", headers=await floor.headers(OTHER))
    assert [c["id"] for c in (await other.json())["callbacks"]] == [url.rsplit("/", 1)[1]]
    cancelled = await floor.client.post(
        url + "/cancel", json={"why": "市民已来电"}, headers=headers
    )
    assert (await cancelled.json())["state"] == "cancelled"
    no_why = await floor.client.post(url + "/cancel", json={}, headers=headers)
    assert no_why.status == 400


async def test_the_figures_and_the_listing_refuse_malformed_parameters(floor: Floor) -> None:
    headers = await floor.headers(SUPERVISOR)
    ok = await floor.client.get(
        "/api/callbacks/figures",
        params={"from": "2026-11-01", "to": "2026-11-30"},
        headers=headers,
    )
    assert ok.status == 200, await ok.text()
    body = await ok.json()
    assert body["figures"] == [] and body["suggestions_and_complaints"] == []  # R13's own
    for params in ({"from": "2026-11-30", "to": "2026-11-01"}, {"from": "x", "to": "y"}, {}):
        bad = await floor.client.get("/api/callbacks/figures", params=params, headers=headers)
        assert bad.status == 400
    for query in ("?state=lost", "?kind=x", "?owner=abc", "?number=1;2", "?limit=0", "?x=1"):
        bad = await floor.client.get(f"/api/callbacks{query}", headers=headers)
        assert bad.status == 400, query
    bad_id = await floor.client.get("/api/callbacks/not-a-uuid", headers=headers)
    assert bad_id.status == 400
    missing = await floor.client.get(f"/api/callbacks/{uuid.uuid4()}", headers=headers)
    assert missing.status == 404
