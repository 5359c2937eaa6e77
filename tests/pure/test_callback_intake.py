"""Intake, pure: a voicemail's .txt in the spool, and each user event → one ``Request``.

No event loop, no database: the number check is a stand-in with the real one's contract
(the checked number, or an error coded ``callback.invalid_number``)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ami.events import parse_event
from callback.intake import (
    NEVER,
    due_days,
    escalation,
    keep_place_from_event,
    parse_due_days,
    voicemail_from_event,
    voicemail_from_spool,
)
from callback.model import Kind
from callback.spool import Spool, caller_number, parse_message
from core import names
from core.errors import ConfigError, HotlineError

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
TXT = """;
; Message Information file
;
[message]
origmailbox=callbacks
context=hotline-voicemail
exten=s
rdnis=unknown
priority=3
callerchan=PJSIP/trunk-0000005d
callerid="张三" <13900139000>
origdate=Mon Nov 30 07:52:48 AM UTC 2026
origtime=1796025168
category=
msg_id=1796025168-00000001
flag=
duration=4
"""


class Invalid(HotlineError):
    code = "callback.invalid_number"


def check(raw: str) -> str:
    if raw.isdigit() and len(raw) == 11 and raw.startswith("1"):
        return raw
    raise Invalid(f"not a number to call: {raw!r}")


# ---- the spool ---------------------------------------------------------------------------


def test_a_message_txt_gives_msg_id_caller_time_and_duration() -> None:
    message = parse_message(TXT, "msg0003")
    assert message is not None
    assert message.msg_id == "1796025168-00000001"
    assert message.caller_id == "13900139000"
    assert message.left_at == datetime.fromtimestamp(1796025168, UTC)
    assert message.duration_s == 4
    assert message.name == "msg0003"


@pytest.mark.parametrize(
    ("callerid", "number"),
    [
        ('"张三" <13900139000>', "13900139000"),
        ("<01088886666>", "01088886666"),
        ("13900139000", "13900139000"),
        ('"13900139000"', "13900139000"),
        ("Unknown", "Unknown"),
        ("", ""),
    ],
)
def test_the_caller_number_is_the_angled_part_or_the_whole(callerid: str, number: str) -> None:
    assert caller_number(callerid) == number


@pytest.mark.parametrize(
    "broken",
    [
        TXT.replace("msg_id=1796025168-00000001\n", ""),
        TXT.replace("origtime=1796025168", "origtime="),
        TXT.replace("msg_id=1796025168-00000001", "msg_id=../../etc/passwd"),
        "",
    ],
    ids=["no msg_id", "no origtime", "msg_id not Asterisk's", "empty"],
)
def test_a_txt_without_a_usable_msg_id_or_origtime_is_not_a_message(broken: str) -> None:
    assert parse_message(broken) is None


def _box(root: Path) -> Path:
    box = root / "spool" / names.VOICEMAIL_CONTEXT / names.VOICEMAIL_BOX / "INBOX"
    box.mkdir(parents=True)
    return box


def test_the_spool_lists_its_messages_and_finds_a_recording_by_msg_id(tmp_path: Path) -> None:
    box = _box(tmp_path)
    (box / "msg0000.txt").write_text(TXT.replace("-00000001", "-00000002"))
    (box / "msg0000.wav").write_bytes(b"RIFF0")
    (box / "msg0001.txt").write_text(TXT)
    (box / "msg0001.wav").write_bytes(b"RIFF1")
    (box / "notes.txt").write_text(TXT.replace("-00000001", "-00000009"))  # not msgNNNN
    spool = Spool(tmp_path, "/spool")
    assert [m.msg_id for m in spool.messages()] == ["1796025168-00000001", "1796025168-00000002"]
    assert spool.recording("1796025168-00000001") == box / "msg0001.wav"
    assert spool.recording("1796025168-00000009") is None
    (box / "msg0001.wav").unlink()  # gone: no recording, not another message's
    assert spool.recording("1796025168-00000001") is None


def test_the_spool_refuses_a_way_out_of_the_box(tmp_path: Path) -> None:
    box = _box(tmp_path)
    outside = tmp_path / "secret.wav"
    outside.write_bytes(b"secret")
    (box / "msg0000.txt").write_text(TXT)
    os.symlink(outside, box / "msg0000.wav")
    spool = Spool(tmp_path, "spool")
    assert spool.recording("1796025168-00000001") is None
    assert spool.recording("../../secret") is None


def test_a_missing_box_has_no_messages(tmp_path: Path) -> None:
    assert Spool(tmp_path, "/nowhere").messages() == []


# ---- events → requests -------------------------------------------------------------------


def _user_event(name: str, **headers: str) -> object:
    raw = {"Event": "UserEvent", "UserEvent": name, "Timestamp": "1796025168.5", **headers}
    return parse_event(raw)


def _voicemail(**headers: str) -> object:
    given = {
        "Mailbox": names.voicemail_mailbox(),
        "Status": "SUCCESS",
        "CallerID": "13900139000",
        "Msg": "/var/spool/asterisk/voicemail/hotline/callbacks/INBOX/msg0001",
        "MsgId": "1796025168-00000001",
        "Linkedid": "1796025160.7",
        **headers,
    }
    return _user_event(names.EVENT_VOICEMAIL, **given)


def test_a_voicemail_left_is_a_voicemail_request_keyed_by_msg_id() -> None:
    request = voicemail_from_event(_voicemail(), NOW, check)  # type: ignore[arg-type]
    assert request is not None
    assert request.kind is Kind.VOICEMAIL
    assert request.number == "13900139000"
    assert request.reason.msg_id == "1796025168-00000001"
    assert request.reason.linkedid == "1796025160.7"
    left = datetime.fromtimestamp(1796025168.5, UTC)
    assert (request.reason.at, request.priority_at, request.not_before) == (left, left, NOW)
    assert request.owner is None and request.due_at is None


@pytest.mark.parametrize(
    "headers",
    [{"Status": "FAILED"}, {"Status": "USEREXIT"}, {"MsgId": ""}, {"Mailbox": "2001@default"}],
    ids=["failed", "user exit", "no msg_id", "another box"],
)
def test_no_message_kept_is_no_request(headers: dict[str, str]) -> None:
    assert voicemail_from_event(_voicemail(**headers), NOW, check) is None  # type: ignore[arg-type]


def test_a_voicemail_from_a_number_that_fails_the_check_is_kept_for_a_supervisor() -> None:
    request = voicemail_from_event(_voicemail(CallerID="9001"), NOW, check)  # type: ignore[arg-type]
    assert request is not None
    assert request.number == ""  # never stored as a number to call
    assert request.not_before == NEVER  # never dispatched
    assert request.due_at == request.reason.at  # overdue at once: a supervisor sees it
    assert "9001" in request.question
    assert request.reason.msg_id == "1796025168-00000001"  # the recording stays playable


def test_a_spool_message_is_the_same_request_as_its_event() -> None:
    message = parse_message(TXT)
    assert message is not None
    request = voicemail_from_spool(message, NOW, check)
    assert request.kind is Kind.VOICEMAIL
    assert request.number == "13900139000"
    assert request.reason.msg_id == message.msg_id
    assert request.priority_at == message.left_at
    assert request.not_before == NOW


def test_keep_your_place_has_the_original_join_time_as_its_priority() -> None:
    event = _user_event(
        names.EVENT_KEEP_PLACE,
        Queue="12333",
        Position="3",
        JoinedAt="1796025000",
        Number="13900139000",
        CallerIDNum="13900139000",
        Linkedid="1796025000.1",
    )
    request = keep_place_from_event(event, NOW, check)  # type: ignore[arg-type]
    joined = datetime.fromtimestamp(1796025000, UTC)
    assert request.kind is Kind.KEEP_PLACE
    assert request.number == "13900139000"
    assert request.priority_at == joined
    assert request.reason.queue_joined_at == joined
    assert request.reason.linkedid == "1796025000.1"
    assert request.not_before == NOW


def test_keep_your_place_without_the_helpers_headers_uses_the_snapshot() -> None:
    event = _user_event(
        names.EVENT_KEEP_PLACE, Queue="12333", CallerIDNum="13900139000", Linkedid="1.2"
    )
    request = keep_place_from_event(event, NOW, check)  # type: ignore[arg-type]
    assert request.number == "13900139000"
    assert request.priority_at == datetime.fromtimestamp(1796025168.5, UTC)  # the event's


def test_an_escalation_is_owned_due_and_carries_the_call() -> None:
    due = NOW + timedelta(days=1)
    request = escalation(
        linkedid="1796025000.1",
        raw_number="13900139000",
        owner="1001",
        at=NOW,
        due_at=due,
        check=check,
        category="建议投诉",
        question="希望延长窗口办理时间",
        department="办公室",
    )
    assert request.kind is Kind.ESCALATION
    assert (request.owner, request.due_at, request.number) == ("1001", due, "13900139000")
    assert request.reason.linkedid == "1796025000.1"
    assert (request.category, request.department) == ("建议投诉", "办公室")
    assert request.question == "希望延长窗口办理时间"  # Chinese kept exactly


def test_an_escalated_call_from_a_withheld_number_keeps_its_owner_for_a_supervisor() -> None:
    request = escalation(
        linkedid="1.1", raw_number="", owner="1001", at=NOW, due_at=NOW, check=check
    )
    assert (request.number, request.not_before, request.owner) == ("", NEVER, "1001")


def test_due_days_per_category_from_the_setting() -> None:
    by_category = parse_due_days(" 建议投诉=5, 劳动关系=2 ,")
    assert by_category == {"建议投诉": 5, "劳动关系": 2}
    assert due_days("建议投诉", by_category, 1) == 5
    assert due_days("其他", by_category, 1) == 1
    assert due_days(None, by_category, 1) == 1
    assert parse_due_days("") == {}


@pytest.mark.parametrize("bad", ["建议投诉", "建议投诉=x", "=3", "建议投诉=-1"])
def test_a_malformed_due_days_setting_is_a_config_error(bad: str) -> None:
    with pytest.raises(ConfigError):
        parse_due_days(bad)
