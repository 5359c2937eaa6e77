"""What is kept how long (pure): one rule per table that grows with calls.

- ``cel`` — Asterisk's own event log, ~25–40 rows a call; the service reads it only to
  rebuild calls it missed (``backfill_days``) and to judge a crashed callback attempt, so
  it must outlive the backfill's window. Purged by whole calls (every row of a linkedid
  whose first channel started before the cut), so no call is ever left half in CEL.
- ``agent_state_audit`` — every state change (~4 a call); the reports count forced-busy
  events and staffing from it.
- ``sign_in_audit`` — every log-in and failure.
The call rows themselves (``calls``), callbacks and their history, dial-plan and
account audit are records, kept (small beside CEL).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.errors import ConfigError


class Table(enum.Enum):
    CEL = "cel"
    AGENT_STATE_AUDIT = "agent_state_audit"
    SIGN_IN_AUDIT = "sign_in_audit"


@dataclass(frozen=True)
class Rule:
    table: Table
    days: int  # 0: kept for ever

    def cut(self, now: datetime) -> datetime | None:
        """Rows from before this go; None when the table is kept."""
        return now - timedelta(days=self.days) if self.days > 0 else None


def rules(*, cel_days: int, audit_days: int, backfill_days: int) -> tuple[Rule, ...]:
    """The rules the settings ask for; refused when CEL would go before the backfill
    has read it, or a number is negative."""
    if cel_days < 0 or audit_days < 0:
        raise ConfigError("retention days cannot be negative (0 keeps for ever)")
    if 0 < cel_days <= backfill_days:
        raise ConfigError(
            f"cel_retention_days ({cel_days}) must be more than backfill_days"
            f" ({backfill_days}): the backfill rebuilds missed calls from CEL"
        )
    return (
        Rule(Table.CEL, cel_days),
        Rule(Table.AGENT_STATE_AUDIT, audit_days),
        Rule(Table.SIGN_IN_AUDIT, audit_days),
    )
