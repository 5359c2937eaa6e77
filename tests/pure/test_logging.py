"""Logging survives a harness that swaps stderr and closes the old one."""

from __future__ import annotations

import io
import sys

import pytest

from core.logging import configure_logging, get_logger


def test_lines_go_to_stderr_as_it_is_when_written(monkeypatch: pytest.MonkeyPatch) -> None:
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging("json", "info")
    first.close()  # what pytest does with a test's captured stream
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)
    get_logger("test").info("still written", call="1.1")
    assert '"event": "still written"' in second.getvalue()
