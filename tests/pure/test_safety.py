"""Whitelists for values that go into AMI messages and Asterisk config."""

from __future__ import annotations

import pytest

from core import safety
from core.errors import UnsafeValueError


@pytest.mark.parametrize(
    "value", ["brb\r\n\r\nAction: UserEvent", "brb\n\nAction: x", "a\x00b", "tab\there", "del\x7f"]
)
def test_control_characters_are_refused(value: str) -> None:
    with pytest.raises(UnsafeValueError, match="Reason"):
        safety.refuse_control_chars("Reason", value)


def test_text_without_control_characters_passes_unchanged() -> None:
    assert safety.refuse_control_chars("CallerIDName", "张三 (李四)") == "张三 (李四)"


@pytest.mark.parametrize("value", ["", "12a", "1" * 21, "1001;", "1001\n", "１００１"])
def test_job_numbers_are_ascii_digits_only(value: str) -> None:
    with pytest.raises(UnsafeValueError):
        safety.digits("job_number", value)


def test_dial_strings_allow_star_hash_plus() -> None:
    assert safety.dial_string("n", "*11#") == "*11#"
    with pytest.raises(UnsafeValueError):
        safety.dial_string("n", "_X.")
