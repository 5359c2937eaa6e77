"""Settings that only the driving parts read are refused when `hotline serve` starts,
not when a standby takes over (hotline/serve.py ``preflight``)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import pytest

from core.errors import ConfigError
from core.settings import Settings
from hotline.serve import Service, preflight

GOOD = dataclasses.replace(Settings(), ami_secret="x" * 24)


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"wrap_up_pause_wait_s": math.nan}, "HOTLINE_WRAP_UP_PAUSE_WAIT_S"),
        ({"wrap_up_pause_wait_s": math.inf}, "HOTLINE_WRAP_UP_PAUSE_WAIT_S"),
        ({"lamp_hints_check_s": 0.0}, "lamp_hints_check_s"),
        ({"lamp_hints_check_s": math.inf}, "lamp_hints_check_s"),
        ({"cel_retention_days": 3, "backfill_days": 7}, "cel_retention_days"),
        ({"audit_retention_days": -1}, "retention days"),
        ({"callback_due_days_by_category": "劳动关系=two"}, "callback_due_days_by_category"),
        ({"stop_timeout_s": 0.0}, "HOTLINE_STOP_TIMEOUT_S"),
        ({"ami_secret": ""}, "no AMI secret"),
    ],
)
def test_a_bad_setting_of_a_driving_part_is_refused_at_the_start(
    changes: dict[str, Any], says: str
) -> None:
    with pytest.raises(ConfigError, match=says):
        Service(dataclasses.replace(GOOD, **changes))


def test_what_is_not_used_is_not_checked_and_the_defaults_pass() -> None:
    preflight(GOOD)
    preflight(dataclasses.replace(GOOD, blf_lamps=False, lamp_hints_check_s=0.0))
    preflight(dataclasses.replace(GOOD, wrap_up_pause_wait_s=-1.0))  # no wait
