"""Retention's rules from the settings (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import ConfigError
from retention.model import Rule, Table, rules

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def test_each_growing_table_has_its_rule() -> None:
    got = rules(cel_days=90, audit_days=730, backfill_days=7)
    assert {(r.table, r.days) for r in got} == {
        (Table.CEL, 90),
        (Table.AGENT_STATE_AUDIT, 730),
        (Table.SIGN_IN_AUDIT, 730),
    }


def test_the_cut_is_so_many_days_back_and_zero_keeps_for_ever() -> None:
    assert Rule(Table.CEL, 90).cut(NOW) == NOW - timedelta(days=90)
    assert Rule(Table.CEL, 0).cut(NOW) is None


@pytest.mark.parametrize("cel_days", [1, 7])
def test_cel_never_goes_before_the_backfill_has_read_it(cel_days: int) -> None:
    with pytest.raises(ConfigError, match="backfill_days"):
        rules(cel_days=cel_days, audit_days=0, backfill_days=7)


def test_cel_may_be_kept_for_ever_whatever_the_backfill() -> None:
    assert rules(cel_days=0, audit_days=0, backfill_days=7)[0].days == 0


def test_negative_days_are_refused() -> None:
    with pytest.raises(ConfigError):
        rules(cel_days=30, audit_days=-1, backfill_days=7)
