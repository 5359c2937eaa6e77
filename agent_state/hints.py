"""The agents' lamp hints (pure): which ``agent<job>`` hint Asterisk should have, and
the CLI line that puts one there.

A BLF key watches ``agent<job>`` in ``names.AGENTS``. Its devices are the service's
custom state and, while the agent is signed in, the desk phone of the session and its
member's pause (``names.lamp_hint``): Asterisk shows ringing and in use from the phone
and wrap-up from the pause ("in use": R4 pauses the member for it), so the service sets
the lamp only for what neither shows (idle, busy, signed out) — no lamp change a call;
each change is a walk of every queue member in app_queue. Hot desking moves the phone,
so the hint follows the session; ``hint_keeper.py`` carries it out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ami.events import Event
from core import names, safety


def present(statuses: Iterable[Event]) -> dict[str, str]:
    """``ExtensionStateList``'s items → job number → the devices of its lamp hint (the
    agents' hints only)."""
    prefix = names.lamp_extension("")
    found: dict[str, str] = {}
    for status in statuses:
        exten = status.get("Exten", "")
        job = exten.removeprefix(prefix)
        if status.get("Context") == names.AGENTS and exten.startswith(prefix) and job.isdigit():
            found[job] = status.get("Hint", "")
    return found


@dataclass(frozen=True)
class Seat:
    """Where a signed-in agent's lamp looks: the session's desk phone, and the queue
    whose pause of its member shows wrap-up (``Member.lamp_queue``; None: no queue)."""

    phone: str
    queue: str | None = None

    def hint(self, job_number: str) -> str:
        return names.lamp_hint(job_number, self.phone, self.queue)


def wanted_hint(job_number: str, seat: Seat | None) -> str:
    """The devices ``agent<job>``'s hint should have (``seat`` None: signed out)."""
    return names.lamp_hint(job_number, None) if seat is None else seat.hint(job_number)


def fixes(signed_in: Mapping[str, Seat], shown: Mapping[str, str]) -> dict[str, Seat | None]:
    """job number → the seat its hint should show (None: none), where Asterisk's
    (``shown``) is not what the agent's session asks for: a signed-in agent's shows its
    phone and pause (``signed_in``: job → seat); a hint of anyone else that still shows a
    phone shows none. An agent with no hint and not signed in gets none (the rendered
    ones exist for their BLF keys)."""
    wanted: dict[str, Seat | None] = dict(signed_in)
    wanted |= {job: None for job in shown if job not in signed_in}
    return {job: seat for job, seat in wanted.items() if shown.get(job) != wanted_hint(job, seat)}


def hint_line(job_number: str, seat: Seat | None) -> str:
    """The CLI line that makes ``agent<job>``'s hint the session's (replacing any). Only
    digits and queue names reach it: the line is Asterisk's CLI, where a space or comma
    would change it."""
    safety.digits("job number", job_number)
    if seat is not None:
        safety.digits("desk phone", seat.phone)
        if seat.queue is not None:
            safety.token("queue", seat.queue)
    return _add(names.lamp_extension(job_number), wanted_hint(job_number, seat))


def mark_line() -> str:
    """The CLI line that puts the mark next to the hints (``names.LAMP_HINTS_MARK``)."""
    return _add(names.LAMP_HINTS_MARK, f"Custom:{names.LAMP_HINTS_MARK}")


def _add(exten: str, devices: str) -> str:
    return f"dialplan add extension {exten},hint,{devices} into {names.AGENTS} replace"


def took(output: Iterable[str]) -> bool:
    """Whether the CLI said it added or replaced the extension."""
    text = " ".join(output)
    return " added into " in text or " replace by " in text
