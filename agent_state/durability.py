"""Which transitions may wait in the journal while PostgreSQL is away (issue 9): pure.

A transition Asterisk's facts or the clock cause (offered, answered, call ended, missed,
phone lost or back, a confirmation, a wrap-up deadline, the schedule's sign-out, a
reconcile) has already happened in the world: refusing it would only leave the service
behind Asterisk, and an agent stranded in wrap-up (R4) or ringing on with nobody there
(R2). Those are applied in memory, carried into Asterisk, and journalled.

A person's request (sign-in, an agent's own change, a supervisor's) has a person asking
whose session and PIN only the database can check, and who can ask again: it is refused
with 503 ``db.unavailable`` while PostgreSQL is away, before anything changes.
"""

from __future__ import annotations

from agent_state.model import Event, Source

# who caused it -> may it wait in the journal
_MAY_WAIT = {
    Source.ASTERISK: True,  # a fact: it happened
    Source.SYSTEM: True,  # the clock, the schedule, a reconcile
    Source.PHONE: False,  # a person at a desk phone
    Source.WEB: False,  # a person on the web
}


def may_journal(event: Event) -> bool:
    """True if the transition goes to the journal when PostgreSQL is away; False if it
    is refused. Decided by who caused it: the schedule's sign-out carries its label as
    the actor but is the clock's (``Source.SYSTEM``)."""
    return _MAY_WAIT[event.source]
