"""When to try a failed database write again: a pure backoff policy.

The journal's replayer (``db/durable.py``) waits ``Backoff.delay(failures)`` after its
``failures``-th failed attempt in a row: doubling from ``first_s`` up to ``max_s``, so a
database that is back is found within ``max_s`` and one that stays away is asked at most
once per ``max_s``. No jitter: one service replays one journal.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    first_s: float = 0.5
    max_s: float = 5.0
    factor: float = 2.0

    def __post_init__(self) -> None:
        if self.first_s <= 0 or self.max_s < self.first_s or self.factor < 1:
            raise ValueError(f"a backoff needs 0 < first_s <= max_s and factor >= 1: {self}")

    def delay(self, failures: int) -> float:
        """Seconds to wait after ``failures`` failed attempts in a row (0 after none)."""
        if failures <= 0:
            return 0.0
        # capped before the power can overflow: factor ** 1000 is inf or an error
        steps = min(failures - 1, 64)
        return min(self.max_s, self.first_s * self.factor**steps)
