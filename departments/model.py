"""Departments (R11b, R13): the rules for a department's name and number, and which
channel of a call is the caller's — pure, tested in tests/pure/test_departments.py."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core import inputs
from core.errors import HotlineError, InvalidInput
from dialplan.model import DEPARTMENT_NUMBER

NAME_MAX = 40


class BadName(InvalidInput):
    code = "input.department_name"


class BadNumber(InvalidInput):
    code = "input.department_number"


class NameTaken(HotlineError):
    code = "department.name_taken"


class Inactive(HotlineError):
    """Transferring to a department an admin disabled (or that does not exist)."""

    code = "department.inactive"


class NotOnCall(HotlineError):
    """The agent's desk phone is in no call with a caller now."""

    code = "department.not_on_call"


@dataclass(frozen=True)
class Department:
    id: int
    name: str
    number: str
    active: bool = True


@dataclass(frozen=True)
class Draft:
    """A department as an admin gives it: a name and a number."""

    name: str
    number: str


def draft(name: object, number: object) -> Draft:
    """The name (1 to 40 characters, one line) and the number (3 to 20 digits, as a
    dial plan's transfer node: it is dialled through the outbound trunk)."""
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > NAME_MAX:
        raise BadName(f"name must be 1 to {NAME_MAX} characters")
    try:
        inputs.check_text("name", name)
    except InvalidInput:
        raise BadName("name holds a control character") from None
    if not isinstance(number, str) or not DEPARTMENT_NUMBER.fullmatch(number):
        raise BadNumber("number must be 3 to 20 digits")
    return Draft(name.strip(), number)


@dataclass(frozen=True)
class Channel:
    """A live channel as AMI's ``Status`` lists it."""

    name: str
    uniqueid: str
    linkedid: str
    caller_number: str = ""
    bridge_id: str = ""


def phone_channel(channels: Iterable[Channel], extension: str) -> Channel | None:
    """The desk phone's own channel (``PJSIP/<extension>-<n>``), if it is in a call."""
    prefix = f"PJSIP/{extension}-"
    return next((c for c in channels if c.name.startswith(prefix)), None)


def caller_channel(channels: Iterable[Channel], extension: str) -> Channel | None:
    """The caller's channel of the call the desk phone is in: the call's first channel
    (its ``Uniqueid`` is the call's ``Linkedid``), never the phone's own."""
    listed = list(channels)
    phone = phone_channel(listed, extension)
    if phone is None:
        return None
    return next((c for c in listed if c.uniqueid == phone.linkedid and c.name != phone.name), None)


def bridge_partner(channels: Iterable[Channel], caller: Channel) -> Channel | None:
    """The channel in the caller's bridge that is not the caller: in a queue call, the
    agent's member leg (``Local/<extension>@...;1``), which transfers the caller."""
    listed = list(channels)
    now = next((c for c in listed if c.uniqueid == caller.uniqueid), None)
    if now is None or not now.bridge_id:
        return None
    return next(
        (c for c in listed if c.bridge_id == now.bridge_id and c.uniqueid != now.uniqueid), None
    )


def channels_from(events: Iterable[Mapping[str, str]]) -> list[Channel]:
    return [
        Channel(
            e.get("Channel", ""),
            e.get("Uniqueid", ""),
            e.get("Linkedid", ""),
            e.get("CallerIDNum", ""),
            e.get("BridgeID", ""),
        )
        for e in events
        if e.get("Channel")
    ]
