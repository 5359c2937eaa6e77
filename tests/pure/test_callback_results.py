"""An attempt's result from the citizen leg's DIALSTATUS and Q.850 HANGUPCAUSE."""

from __future__ import annotations

import pytest

from callback.model import AttemptResult
from callback.results import attempt_result

R = AttemptResult

CASES = [
    ("ANSWER", "16", R.ANSWERED),
    ("ANSWER", "", R.ANSWERED),
    ("ANSWER", "1", R.ANSWERED),  # answered is answered, whatever the cause
    ("NOANSWER", "19", R.NO_ANSWER),
    ("NOANSWER", "16", R.NO_ANSWER),
    ("BUSY", "17", R.BUSY),
    ("BUSY", "", R.BUSY),
    ("CANCEL", "16", R.NOT_CONFIRMED),  # the agent hung up while it rang
    ("CANCEL", "19", R.NOT_CONFIRMED),
    ("CONGESTION", "1", R.INVALID_NUMBER),  # SIP 404
    ("CONGESTION", "28", R.INVALID_NUMBER),  # SIP 484
    ("CONGESTION", "22", R.INVALID_NUMBER),  # SIP 410: number changed
    ("CHANUNAVAIL", "1", R.INVALID_NUMBER),
    ("CONGESTION", "17", R.BUSY),  # busy that reached us as congestion
    ("CHANUNAVAIL", "17", R.BUSY),
    ("CONGESTION", "18", R.NO_ANSWER),  # SIP 480/408
    ("CHANUNAVAIL", "19", R.NO_ANSWER),
    ("CHANUNAVAIL", "20", R.NO_ANSWER),  # a mobile switched off
    ("CONGESTION", "34", R.FAILED),  # no circuit
    ("CONGESTION", "38", R.FAILED),  # network out of order
    ("CONGESTION", "21", R.FAILED),  # a reject (403) from the trunk
    ("CHANUNAVAIL", "0", R.FAILED),  # the trunk's endpoint is not there
    ("CHANUNAVAIL", "", R.FAILED),
    ("CONGESTION", "not a number", R.FAILED),
    ("DONTCALL", "1", R.FAILED),
    ("TORTURE", "28", R.FAILED),
    ("INVALIDARGS", "28", R.FAILED),  # Dial's own error, not the citizen's number
    ("", "", R.FAILED),
    ("", "1", R.INVALID_NUMBER),
    ("SOMETHINGNEW", "17", R.BUSY),
    (" answer ", " 16 ", R.ANSWERED),
    ("busy", "17", R.BUSY),
    ("CONGESTION", " 28 ", R.INVALID_NUMBER),
]


@pytest.mark.parametrize(("status", "cause", "result"), CASES)
def test_dialstatus_and_cause_make_the_result(status: str, cause: str, result: R) -> None:
    assert attempt_result(status, cause) is result
