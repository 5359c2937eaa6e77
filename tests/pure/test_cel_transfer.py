"""A call the agent transferred to a department (R11b), rebuilt from its real recorded CEL
rows (``tests/fixtures/cel/inbound-transferred.json``) as the live recorder wrote it:
transferred, hung up by the transfer, with the agent, the queue and the times."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from calls.cel import CelRow, record_from_cel
from calls.model import HungUp, Outcome
from tests import cel_fixtures

NAME = "inbound-transferred"


def live() -> dict[str, Any]:
    """What the running service's call recorder wrote for the same call."""
    data = json.loads((cel_fixtures.FIXTURES / f"{NAME}.json").read_text(encoding="utf-8"))
    written: dict[str, Any] = data["live"]
    return written


def test_the_transferred_call_is_rebuilt_as_the_live_recorder_wrote_it() -> None:
    record = record_from_cel(cel_fixtures.cel_rows(NAME))
    written = live()
    assert record is not None
    assert (record.outcome, record.hung_up_first) == (Outcome.TRANSFERRED, HungUp.TRANSFER)
    assert (record.outcome.value, record.hung_up_first.value) == (
        written["outcome"],
        written["hung_up_first"],
    )
    for name in cel_fixtures.REBUILT_FIELDS:
        assert getattr(record, name) == written[name], name
    assert list(record.menu_path) == written["menu_path"]
    assert record.language is not None and record.language.value == written["language"]
    for name in cel_fixtures.REBUILT_TIMES:
        at = datetime.fromisoformat(written[name]).replace(tzinfo=UTC)
        assert abs(getattr(record, name) - at) < timedelta(milliseconds=50), name


def _without_the_transfer(rows: list[CelRow]) -> list[CelRow]:
    return [r for r in rows if r.eventtype != "BLINDTRANSFER"]


def _the_caller_transferring(rows: list[CelRow]) -> list[CelRow]:
    """The caller's channel the transferer, the agent's leg the one sent away."""
    caller = rows[0]
    return [
        replace(
            r,
            uniqueid=caller.uniqueid,
            extra=r.extra.replace(f'"{caller.uniqueid}"', '"1796064856.1"'),
        )
        if r.eventtype == "BLINDTRANSFER"
        else r
        for r in rows
    ]


@pytest.mark.parametrize(
    ("change", "outcome"),
    [
        pytest.param(lambda rows: rows, Outcome.TRANSFERRED, id="as recorded"),
        # no hangup source anywhere (the test hung the caller up through AMI): without
        # the transfer's row it is what CEL said before BLINDTRANSFER was logged
        pytest.param(_without_the_transfer, Outcome.CUT_BY_SYSTEM, id="no BLINDTRANSFER"),
        pytest.param(_the_caller_transferring, Outcome.CUT_BY_SYSTEM, id="caller transferred"),
    ],
)
def test_only_the_agents_side_transferring_the_caller_is_a_transfer(
    change: Callable[[list[CelRow]], list[CelRow]], outcome: Outcome
) -> None:
    record = record_from_cel(change(cel_fixtures.cel_rows(NAME)))
    assert record is not None and record.outcome == outcome
