"""Three things of the callback API on a real PostgreSQL: a desk-phone escalation's
category and question added through the API (a second POST for the same call), an
Idempotency-Key on return visits, and a closed callback's voicemail removed from the
spool after its retention time (the recording then 410).

No Asterisk: intake is fed parsed AMI events; the spool is a folder of the test's, and
app_voicemail's ``VoicemailRemove`` is a stand-in that deletes the message's files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ami.actions import Action, VoicemailRemove
from callback import assembly
from callback.retention import VoicemailRetention
from core import names
from core.settings import Settings
from tests.e2e.agents import PIN
from tests.web.conftest import AGENT, OTHER, SUPERVISOR, Floor, open_floor
from tests.web.test_callbacks_api import CALL, MSG_ID, answered_call, intake_of, user_event
from web.app import SETTINGS

CATEGORY = "建议投诉"  # 5 working days to its due time on this floor
OTHER_MSG_ID = "1796025999-00000002"
GONE_MSG_ID = "1796026111-00000003"


@pytest.fixture
async def floor(fresh_db: str, settings: Settings, tmp_path: Path) -> AsyncIterator[Floor]:
    async with open_floor(
        fresh_db,
        settings,
        asterisk_root=tmp_path,
        voicemail_spool_dir="/spool",
        callback_due_days_by_category=f"{CATEGORY}=5",
    ) as opened:
        yield opened


# ---- an escalation's details, added later -------------------------------------------------


async def _desk_phone_escalation(floor: Floor) -> dict[str, Any]:
    await answered_call(floor, CALL, AGENT, "13900139000")
    headers = await floor.headers(AGENT)
    signed_in = await floor.client.post(
        f"/api/agents/{AGENT}/state", headers=headers, json={"state": "sign_in", "pin": PIN}
    )
    assert signed_in.status == 200
    extension = floor.service.member(AGENT).extension
    event = user_event(
        names.EVENT_ESCALATE, Endpoint=extension, When="after", Channel=f"PJSIP/{extension}-01"
    )
    opened = await intake_of(floor).escalate(event)
    assert opened is not None and opened.created
    mine = await floor.client.get("/api/callbacks/mine", headers=headers)
    [escalated] = (await mine.json())["callbacks"]
    assert (escalated["category"], escalated["question"]) == (None, "")
    return dict(escalated)


async def test_the_agent_adds_category_and_question_to_a_desk_phone_escalation(
    floor: Floor,
) -> None:
    before = await _desk_phone_escalation(floor)
    agent = await floor.headers(AGENT)
    body = {"call": CALL, "category": CATEGORY, "question": "希望周六也开放窗口"}
    response = await floor.client.post("/api/callbacks/escalations", json=body, headers=agent)
    assert response.status == 200, await response.text()
    after = await response.json()
    assert after["id"] == before["id"] and after["created"] is False
    assert (after["category"], after["question"]) == (CATEGORY, "希望周六也开放窗口")
    # the default's due time (1 working day) follows the category's 5
    assert datetime.fromisoformat(after["due_at"]) > datetime.fromisoformat(before["due_at"])
    detail = await floor.client.get(f"/api/callbacks/{before['id']}", headers=agent)
    amended = [h["detail"] for h in (await detail.json())["history"] if h["event"] == "Amended"]
    assert {a["field"] for a in amended} == {"category", "question", "due_at"}
    # a new question replaces the old; a due time given is taken; the category's stays
    given = "2026-12-24T17:00:00+08:00"
    again = {**body, "question": "改为:周日也开放", "due_at": given}
    response = await floor.client.post("/api/callbacks/escalations", json=again, headers=agent)
    assert response.status == 200
    assert ((await response.json())["question"], (await response.json())["due_at"]) == (
        "改为:周日也开放",
        given,
    )


async def test_only_the_owner_or_a_supervisor_adds_and_a_closed_one_is_not_changed(
    floor: Floor,
) -> None:
    escalated = await _desk_phone_escalation(floor)
    url = f"/api/callbacks/{escalated['id']}"
    supervisor = await floor.headers(SUPERVISOR)
    moved = await floor.client.post(url + "/reassign", json={"owner": OTHER}, headers=supervisor)
    assert moved.status == 200
    body = {"call": CALL, "category": CATEGORY, "question": "q"}
    agent = await floor.headers(AGENT)  # took the call, no longer owns the callback
    refused = await floor.client.post("/api/callbacks/escalations", json=body, headers=agent)
    assert refused.status == 403
    assert (await refused.json())["error"] == "auth.forbidden"
    by_supervisor = await floor.client.post(
        "/api/callbacks/escalations", json=body, headers=supervisor
    )
    assert by_supervisor.status == 200
    assert (await by_supervisor.json())["category"] == CATEGORY
    cancelled = await floor.client.post(url + "/cancel", json={"why": "已办结"}, headers=supervisor)
    assert cancelled.status == 200
    closed = await floor.client.post(
        "/api/callbacks/escalations", json={**body, "question": "q2"}, headers=supervisor
    )
    assert closed.status == 409
    assert (await closed.json())["error"] == "callback.closed"
    shown = await floor.client.get(url, headers=supervisor)
    assert (await shown.json())["question"] == "q"


# ---- Idempotency-Key ------------------------------------------------------------------------


async def test_a_retried_return_visit_with_its_key_is_the_first_one(floor: Floor) -> None:
    url = "/api/callbacks/return-visits"
    body = {"number": "13900139000", "at": "2026-12-01T10:00", "question": "回访:养老金到账"}
    agent = {**await floor.headers(AGENT), "Idempotency-Key": '"visit-7f3a"'}
    first = await floor.client.post(url, json=body, headers=agent)
    assert first.status == 201, await first.text()
    retried = await floor.client.post(url, json=body, headers=agent)
    assert retried.status == 200
    assert await retried.json() == await first.json()
    other_body = await floor.client.post(url, json={**body, "question": "另一件"}, headers=agent)
    assert other_body.status == 422
    assert (await other_body.json())["error"] == "callback.idempotency_key_reused"
    # the key is the actor's: another agent's same key is their own request
    other = {**await floor.headers(OTHER), "Idempotency-Key": "visit-7f3a"}
    theirs = await floor.client.post(url, json=body, headers=other)
    assert theirs.status == 201
    # stored with the callback, not in memory: what a restarted service reads
    stored = await floor.pool.fetchval(
        "SELECT count(*) FROM callback_idempotency WHERE key = 'visit-7f3a'"
    )
    assert stored == 2
    bad = {**agent, "Idempotency-Key": "has space"}
    assert (await floor.client.post(url, json=body, headers=bad)).status == 400
    # without the header: as before, each POST a return visit
    plain = await floor.headers(AGENT)
    for _ in range(2):
        assert (await floor.client.post(url, json=body, headers=plain)).status == 201
    listed = await floor.client.get(
        "/api/callbacks?kind=return_visit", headers=await floor.headers(SUPERVISOR)
    )
    assert (await listed.json())["count"] == 4


# ---- voicemail retention ----------------------------------------------------------------------


def _box(root: Path) -> Path:
    return root / "spool" / names.VOICEMAIL_CONTEXT / names.VOICEMAIL_BOX / "INBOX"


def _leave(root: Path, name: str, msg_id: str, number: str) -> None:
    box = _box(root)
    box.mkdir(parents=True, exist_ok=True)
    (box / f"{name}.txt").write_text(
        f'[message]\ncallerid="" <{number}>\norigtime=1796025168\nmsg_id={msg_id}\nduration=4\n'
    )
    (box / f"{name}.wav").write_bytes(b"RIFF" + msg_id.encode())


class FakeVoicemail:
    """app_voicemail's VoicemailRemove: the message's files go (unless ``refuses``)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.sent: list[Action] = []
        self.refuses = False

    async def send(self, action: Action, *, timeout: float | None = None) -> Any:
        self.sent.append(action)
        assert isinstance(action, VoicemailRemove)
        if not self.refuses:
            for txt in _box(self.root).glob("msg*.txt"):
                if f"msg_id={action.msg_id}\n" in txt.read_text():
                    txt.unlink()
                    txt.with_suffix(".wav").unlink()
        return None


async def test_a_closed_callbacks_message_is_removed_after_the_retention_time(
    floor: Floor, tmp_path: Path
) -> None:
    _leave(tmp_path, "msg0000", MSG_ID, "13900139000")  # its callback is cancelled
    _leave(tmp_path, "msg0001", OTHER_MSG_ID, "13900139001")  # its callback stays open
    _leave(tmp_path, "msg0002", GONE_MSG_ID, "13900139002")  # removed, the mark lost
    await intake_of(floor).take_in_spool()
    supervisor = await floor.headers(SUPERVISOR)
    listed = await floor.client.get("/api/callbacks", headers=supervisor)
    by_msg = {c["reasons"][0]["msg_id"]: c["id"] for c in (await listed.json())["callbacks"]}
    for msg_id in (MSG_ID, GONE_MSG_ID):
        url = f"/api/callbacks/{by_msg[msg_id]}/cancel"
        assert (await floor.client.post(url, json={"why": "已回复"}, headers=supervisor)).ok
    (_box(tmp_path) / "msg0002.txt").unlink()
    (_box(tmp_path) / "msg0002.wav").unlink()

    asterisk = FakeVoicemail(tmp_path)
    spool = assembly.spool(floor.app[SETTINGS])

    def retention(days_later: int) -> VoicemailRetention:
        now = datetime.now(UTC) + timedelta(days=days_later)
        return VoicemailRetention(asterisk, floor.pool, spool, retention_days=90, clock=lambda: now)

    assert await retention(89).sweep() == 0  # not yet
    assert asterisk.sent == []
    asterisk.refuses = True  # Asterisk answers "Message remove failed": left for next time
    assert await retention(91).sweep() == 1  # only the one already gone is marked
    asterisk.refuses = False
    assert await retention(91).sweep() == 1
    assert asterisk.sent[-1] == VoicemailRemove(
        names.VOICEMAIL_CONTEXT, names.VOICEMAIL_BOX, "INBOX", MSG_ID
    )
    assert {a.msg_id for a in asterisk.sent if isinstance(a, VoicemailRemove)} == {MSG_ID}
    assert (_box(tmp_path) / "msg0001.wav").exists()  # the open callback's is never touched
    assert await retention(91).sweep() == 0  # idempotent: nothing left, nothing fails

    for msg_id in (MSG_ID, GONE_MSG_ID):
        recording = f"/api/callbacks/{by_msg[msg_id]}/recording"
        gone = await floor.client.get(recording, headers=supervisor)
        assert gone.status == 410
        assert (await gone.json())["error"] == "callback.recording_removed"
    kept = f"/api/callbacks/{by_msg[OTHER_MSG_ID]}/recording"
    assert (await floor.client.get(kept, headers=supervisor)).status == 200
    detail = await floor.client.get(f"/api/callbacks/{by_msg[MSG_ID]}", headers=supervisor)
    assert "VoicemailRemoved" in [h["event"] for h in (await detail.json())["history"]]
