"""The agents' lamp hints (agent_state/hints.py): the session's desk phone in the hint,
what needs putting right after a reload, and a CLI line only digits reach."""

from __future__ import annotations

import pytest

from agent_state.hints import Seat, fixes, hint_line, mark_line, present, took
from ami.events import Event, parse_event
from core import names
from core.errors import UnsafeValueError


def status(exten: str, hint: str, context: str = names.AGENTS) -> Event:
    return parse_event(
        {"Event": "ExtensionStatus", "Exten": exten, "Context": context, "Hint": hint}
    )


PAUSE_2001 = "Queue:12333_pause_Local/2001@agents-local/n"


def test_the_hint_of_a_signed_in_agent_holds_its_desk_phone_and_its_members_pause() -> None:
    assert names.lamp_hint("1001", "2003") == "Custom:agent1001&PJSIP/2003"
    assert names.lamp_hint("1001", None) == "Custom:agent1001"
    # the pause device is the one app_queue changes for the member that rings the phone
    assert names.lamp_hint("1001", "2001", "12333") == f"Custom:agent1001&PJSIP/2001&{PAUSE_2001}"
    assert names.pause_device("12333", "2001").endswith(names.member_interface("2001"))
    assert Seat("2001", "12333").hint("1001") == names.lamp_hint("1001", "2001", "12333")


def test_only_the_agents_lamp_hints_are_read() -> None:
    shown = present(
        [
            status("agent1001", "Custom:agent1001&PJSIP/2001"),
            status("agent1002", "Custom:agent1002"),
            status("2001", "PJSIP/2001", names.PHONES_LAMPS),  # a phone's own lamp
            status("agent1003", "Custom:agent1003", "default"),  # another context
            status("agentx", "Custom:agentx"),
            status(names.LAMP_HINTS_MARK, "Custom:x"),
        ]
    )
    assert shown == {"1001": "Custom:agent1001&PJSIP/2001", "1002": "Custom:agent1002"}


def test_after_a_reload_each_signed_in_agent_gets_its_phone_back() -> None:
    shown = {"1001": "Custom:agent1001", "1002": "Custom:agent1002"}  # as rendered
    seats = {"1001": Seat("2001", "12333"), "1002": Seat("2002", "12333")}
    assert fixes(seats, shown) == seats


def test_a_hint_already_right_is_left_alone() -> None:
    shown = {"1001": f"Custom:agent1001&PJSIP/2001&{PAUSE_2001}", "1002": "Custom:agent1002"}
    assert fixes({"1001": Seat("2001", "12333")}, shown) == {}


def test_a_hint_of_an_older_version_without_the_pause_is_put_right() -> None:
    shown = {"1001": "Custom:agent1001&PJSIP/2001"}  # the phone alone: wrap-up unlit
    assert fixes({"1001": Seat("2001", "12333")}, shown) == {"1001": Seat("2001", "12333")}


def test_hot_desking_moves_the_phone_and_a_signed_out_agent_shows_none() -> None:
    shown = {"1001": "Custom:agent1001&PJSIP/2001", "1002": "Custom:agent1002&PJSIP/2002"}
    # 1001 moved to desk phone 2005; 1002 signed out while the service was away
    assert fixes({"1001": Seat("2005")}, shown) == {"1001": Seat("2005"), "1002": None}


def test_a_signed_in_agent_without_any_hint_gets_one() -> None:
    assert fixes({"1009": Seat("3001", "12333")}, {}) == {"1009": Seat("3001", "12333")}


def test_the_cli_line_replaces_the_hint_in_the_agents_context() -> None:
    assert hint_line("1001", Seat("2001", "12333")) == (
        "dialplan add extension agent1001,hint,"
        f"Custom:agent1001&PJSIP/2001&{PAUSE_2001} into agents replace"
    )
    assert hint_line("1001", None).endswith(",hint,Custom:agent1001 into agents replace")
    assert mark_line().startswith(f"dialplan add extension {names.LAMP_HINTS_MARK},hint,")


@pytest.mark.parametrize(
    ("job", "phone", "queue"),
    [
        ("1001 into x", "2001", "12333"),
        ("1001", "2001,1,System(id)", "12333"),
        ("1001", "2001&SIP/x", None),
        ("", "1", None),
        ("1001", "2001", "12333 into x"),  # a queue name holds no space,
        ("1001", "2001", "q,1,System(id)"),  # no comma
        ("1001", "2001", "q&Custom:x"),  # and no & (another device)
    ],
)
def test_anything_but_digits_and_names_never_reaches_the_cli(
    job: str, phone: str, queue: str | None
) -> None:
    with pytest.raises(UnsafeValueError):
        hint_line(job, Seat(phone, queue))


def test_what_the_cli_says_it_took() -> None:
    assert took(["Extension 'agent1001,hint,Custom:agent1001()' added into 'agents' context"])
    assert took(["Extension agent1001@agents (hint) replace by 'agent1001,hint,Custom:x()'"])
    assert not took(["No such context 'agents'"])
    assert not took([])
