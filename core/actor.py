"""Who is asking: the signed-in person behind a request, as the web tier resolved it.

A plain type any package may read; authentication itself is ``web/``'s business.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.Enum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"  # edits dial plans, prompts, the calendar, accounts (issue 10)


@dataclass(frozen=True)
class Actor:
    job_number: str
    role: Role

    @property
    def is_supervisor(self) -> bool:
        return self.role is Role.SUPERVISOR


# Who reads the centre's figures — the quality report, the callback figures (R13's
# suggestions and complaints among them) and the staffing advice — in the API and on the
# pages alike: supervisors, who run the floor, and admins, who staff and configure it.
# Counts only, no citizen's number; agents do not (their own calls are on the console).
FIGURE_READERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
