"""The staffing advice for one working day, pure: per half hour, the expected callers
(the mean of the same weekday over the last weeks), the measured handle time, the
agents Erlang C says are needed for the target, beside those actually signed in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reports.erlang import agents_needed

SLOT_S = 1800  # half an hour
SLOTS = 48


@dataclass(frozen=True)
class HalfHour:
    slot: int  # 0 = 00:00-00:30 (local) … 47
    expected_arrivals: float
    handle_s: float | None
    agents_needed: int | None  # None: no handle time measured yet
    agents_signed_in: float | None  # mean signed in over the half hour; None: not past
    agents_seen: int | None  # different agents signed in at some time in it

    @property
    def starts(self) -> str:
        return f"{self.slot // 2:02d}:{30 * (self.slot % 2):02d}"


@dataclass(frozen=True)
class Measured:
    talk_avg_s: float | None
    wrap_up_avg_s: float | None

    @property
    def handle_s(self) -> float | None:
        """Talk + wrap-up; None before any answered call."""
        if self.talk_avg_s is None:
            return None
        return round(self.talk_avg_s + (self.wrap_up_avg_s or 0.0), 1)


def plan(
    arrivals: Mapping[int, int],
    weeks: int,
    measured: Measured,
    signed_in: Mapping[int, tuple[float, int]] | None,
    *,
    answer_s: float,
    target: float,
) -> list[HalfHour]:
    """``arrivals``: callers per slot over ``weeks`` same weekdays; ``signed_in``: per
    slot (mean, different agents), None for a day not begun."""
    handle = measured.handle_s
    out = []
    for slot in range(SLOTS):
        expected = arrivals.get(slot, 0) / weeks
        needed = None
        if handle is not None:
            needed = agents_needed(
                expected, handle, period_s=SLOT_S, answer_s=answer_s, target=target
            )
        seen = None if signed_in is None else signed_in.get(slot, (0.0, 0))
        out.append(
            HalfHour(
                slot=slot,
                expected_arrivals=round(expected, 2),
                handle_s=handle,
                agents_needed=needed,
                agents_signed_in=None if seen is None else round(seen[0], 2),
                agents_seen=None if seen is None else seen[1],
            )
        )
    return out
