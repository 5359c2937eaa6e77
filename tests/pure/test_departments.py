"""Departments (R11b, R13): a name and a number an admin may keep, which channel of a
call is the caller's, and the case-work forms' fields (pure)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from ami.actions import BlindTransfer
from callback.model import Outcome
from departments import model
from departments.model import Channel
from pages import casework

TZ = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("name", "number", "code"),
    [
        ("社保科", "88881234", None),
        (" 医保科 ", "123", None),
        ("", "88881234", "input.department_name"),
        ("科" * 41, "88881234", "input.department_name"),
        ("社保\n科", "88881234", "input.department_name"),
        (None, "88881234", "input.department_name"),
        ("社保科", "12", "input.department_number"),
        ("社保科", "1" * 21, "input.department_number"),
        ("社保科", "8888-1234", "input.department_number"),
        ("社保科", "8888,1234", "input.department_number"),  # a Dial option separator
        ("社保科", "${EXTEN}", "input.department_number"),
        ("社保科", "+8613800", "input.department_number"),
        ("社保科", "８８８８１２３４", "input.department_number"),  # full-width digits
        ("社保科", 88881234, "input.department_number"),
    ],
)
def test_a_department_is_a_name_and_digits(name: object, number: object, code: str | None) -> None:
    if code is None:
        made = model.draft(name, number)
        assert made == model.Draft(str(name).strip(), str(number))
    else:
        with pytest.raises(model.InvalidInput) as refused:
            model.draft(name, number)
        assert refused.value.code == code


PHONE = Channel("PJSIP/2009-00000003", "1.3", "1.1")
CALLER = Channel("PJSIP/2010-00000001", "1.1", "1.1", "2010")
MEMBER = Channel("Local/2009@agents-local-00000001;2", "1.2", "1.1")
OTHER = Channel("PJSIP/2011-00000009", "2.1", "2.1")


@pytest.mark.parametrize(
    ("channels", "expected"),
    [
        ([CALLER, MEMBER, PHONE, OTHER], CALLER),
        ([PHONE, MEMBER], None),  # the caller is gone
        ([CALLER, MEMBER, OTHER], None),  # the desk phone is in no call
        ([Channel("PJSIP/20090-1", "1.3", "1.1"), CALLER], None),  # another phone's prefix
        ([Channel("PJSIP/2009-1", "1.1", "1.1")], None),  # the phone never is its own caller
    ],
)
def test_the_callers_channel_is_the_calls_first(
    channels: list[Channel], expected: Channel | None
) -> None:
    assert model.caller_channel(channels, "2009") == expected


def test_channels_from_status_events() -> None:
    events = [
        {
            "Channel": "PJSIP/2010-1",
            "Uniqueid": "1.1",
            "Linkedid": "1.1",
            "CallerIDNum": "2010",
            "BridgeID": "b1",
        },
        {"Event": "StatusComplete"},
    ]
    assert model.channels_from(events) == [Channel("PJSIP/2010-1", "1.1", "1.1", "2010", "b1")]


CALLER = Channel("PJSIP/pstn-trunk-7", "1.1", "1.1", "139", "b1")
MEMBER = Channel("Local/2009@agents-local-3;1", "1.2", "1.1", "", "b1")
ANNOUNCER = Channel("Local/2009@agents-local-3;2", "1.3", "1.1", "", "b2")
PHONE = Channel("PJSIP/2009-8", "1.4", "1.1", "", "b2")


@pytest.mark.parametrize(
    ("channels", "expected"),
    [
        # the caller's partner in the queue's bridge is the member leg (;1), never the
        # desk phone nor the announcing half, which share another bridge
        ([PHONE, ANNOUNCER, CALLER, MEMBER], MEMBER),
        ([CALLER, PHONE, ANNOUNCER], None),  # the member leg is gone
        ([Channel(CALLER.name, "1.1", "1.1", "139", ""), MEMBER], None),  # left its bridge
        ([MEMBER, PHONE], None),  # the caller is gone
    ],
)
def test_the_member_leg_transfers_the_caller(
    channels: list[Channel], expected: Channel | None
) -> None:
    assert model.bridge_partner(channels, CALLER) == expected


def test_the_blind_transfer_names_the_transfer_context() -> None:
    assert BlindTransfer(
        "Local/2009@agents-local-3;1", "hotline-department-transfer"
    ).headers() == {
        "Channel": "Local/2009@agents-local-3;1",
        "Context": "hotline-department-transfer",
        "Exten": "s",
    }


@pytest.mark.parametrize(
    ("form", "fields"),
    [
        ({"question": "问", "category": "养老保险"}, []),
        (
            {
                "question": "问",
                "category": "养老保险",
                "department": "3",
                "due_at": "2026-12-01T09:30",
            },
            [],
        ),
        ({"question": "", "category": ""}, ["question", "category"]),
        ({"question": "问" * 1001, "category": "养老保险"}, ["question"]),
        ({"question": "问", "category": "养老保险", "department": "x"}, ["department"]),
        ({"question": "问", "category": "养老保险", "due_at": "明天"}, ["due_at"]),
    ],
)
def test_the_escalation_form_refuses_each_field_at_once(
    form: dict[str, str], fields: list[str]
) -> None:
    got, refused = casework.read_escalation(form, TZ)
    assert [field for field, _ in refused] == fields
    assert (got is None) == bool(fields)


def test_the_escalation_form_reads_a_local_due_time() -> None:
    got, _ = casework.read_escalation(
        {"question": "问", "category": "其他", "department": "7", "due_at": "2026-12-01T09:30"}, TZ
    )
    assert got is not None and got.department == 7
    assert got.due_at is not None and got.due_at.utcoffset().total_seconds() == 8 * 3600  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"outcome": "resolved"}, None),
        ({"outcome": "follow_up", "follow_up_at": "2026-12-02T10:00"}, None),
        ({"outcome": "done"}, "input.callback_outcome"),
        ({"outcome": "resolved", "follow_up_at": "later"}, "input.casework_time"),
    ],
)
def test_the_outcome_form(form: dict[str, str], code: str | None) -> None:
    if code is None:
        assert casework.read_outcome(form, TZ).outcome is Outcome(form["outcome"])
    else:
        with pytest.raises(casework.InvalidInput) as refused:
            casework.read_outcome(form, TZ)
        assert refused.value.code == code


def test_a_department_refusal_shows_at_its_field() -> None:
    assert casework.field_of_department_error("input.department_number") == "number"
    assert casework.field_of_department_error("input.department_name") == "name"
    assert casework.field_of_department_error("department.name_taken") == "name"
