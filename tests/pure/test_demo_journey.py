"""``hotline demo call``'s journey: which events are the demo call's."""

from __future__ import annotations

import pytest

from ami.events import parse_event
from hotline.demo_call import CALLER, JOB_NUMBER, Journey

ID = "1800000000.1"
COMPLETE = {
    "Event": "AgentComplete",
    "Timestamp": "1800000015.0",
    "Queue": "12333",
    "MemberName": JOB_NUMBER,
    "TalkTime": "4",
    "Reason": "caller",
}


def journey() -> tuple[Journey, list[str]]:
    lines: list[str] = []
    demo = Journey(lines.append)
    demo.on_event(
        parse_event(
            {
                "Event": "Newchannel",
                "Timestamp": "1800000000.0",
                "Channel": "PJSIP/pstn-trunk-00000001",
                "Uniqueid": ID,
                "Linkedid": ID,
                "Context": "from-pstn",
                "Exten": "12333",
                "CallerIDNum": CALLER,
            }
        )
    )
    return demo, lines


@pytest.mark.parametrize(
    "headers",
    [{"Linkedid": ID}, {"DestLinkedid": ID}, {}],
    ids=["caller's headers", "member's only", "neither"],
)
def test_the_end_of_the_call_is_shown_however_app_queue_sent_it(headers: dict) -> None:
    demo, lines = journey()
    demo.on_event(parse_event({**COMPLETE, **headers}))
    assert "caller hung up first" in lines[-1]


def test_another_calls_or_agents_end_is_not_shown() -> None:
    demo, lines = journey()
    demo.on_event(parse_event({**COMPLETE, "DestLinkedid": "1800000000.7"}))
    demo.on_event(parse_event({**COMPLETE, "MemberName": "1002"}))
    assert len(lines) == 1
