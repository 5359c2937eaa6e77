"""Accounts, pure: who signs in (agent, supervisor, admin), with what, and the rules an
admin's edit must keep. No I/O; the service runs the checklist, the repo stores.

One account per job number (工号), in the ``agents`` table for history's sake:
- an **agent** sits at a desk phone (extension) and signs in with a PIN, in queues;
- a **supervisor** signs in with a password, or (one who also takes calls) with a PIN
  at a desk phone;
- an **admin** signs in with a password only and has no phone, PIN or queue (least
  privilege: an admin edits accounts and dial plans, it does not take calls).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Collection
from dataclasses import dataclass, field, replace

from core.actor import Role
from core.errors import InvalidInput

NAME_MAX = 100  # the agents table's CHECK
PASSWORD_MIN = 12
PASSWORD_MAX = 1024  # argon2 takes any length; a bound keeps a request's cost bounded
QUEUES_MAX = 20
PENALTY_MAX = 100  # agent_queues' CHECK
_DIGITS = re.compile(r"[0-9]{1,20}")

Queues = tuple[tuple[str, int], ...]  # (queue, penalty)


class Credential(enum.Enum):
    PIN = "pin"
    PASSWORD = "password"  # noqa: S105 - the credential's kind, not a secret


class InvalidPassword(InvalidInput):
    """The password breaks the policy; nothing was hashed (the message never repeats it)."""

    code = "input.invalid_password"


@dataclass(frozen=True)
class Account:
    job_number: str
    name: str
    role: Role
    extension: str | None = None
    pin_hash: str | None = field(default=None, repr=False)
    password_hash: str | None = field(default=None, repr=False)
    queues: Queues = ()
    disabled: bool = False

    @property
    def credentials(self) -> tuple[Credential, ...]:
        """What this account may sign in with (what it has and its role allows)."""
        have = []
        if self.pin_hash is not None and self.role is not Role.ADMIN:
            have.append(Credential.PIN)
        if self.password_hash is not None and self.role is not Role.AGENT:
            have.append(Credential.PASSWORD)
        return tuple(have)

    def signs_in_with(self, credential: Credential) -> bool:
        return not self.disabled and credential in self.credentials


# ---- fields, checked at the edge and again here ---------------------------------------------


def check_job_number(value: object) -> str:
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        raise InvalidInput("job_number must be 1-20 digits (0-9)")
    return value


def check_name(value: object) -> str:
    """A person's name: printable text (any script, emoji too), no control or format
    characters, no line breaks, no surrounding spaces. Stored and shown, never sent to
    Asterisk (a queue member is named by its job number)."""
    if not isinstance(value, str) or not value or len(value) > NAME_MAX:
        raise InvalidInput(f"name must be a text of 1 to {NAME_MAX} characters")
    if not value.isprintable():
        raise InvalidInput("name holds a control, format or line-break character")
    if value != value.strip():
        raise InvalidInput("name must not start or end with a space")
    return value


def check_extension(value: object, phones: Collection[str] = ()) -> str:
    """A desk phone's extension: digits, and one of ``phones`` when those are known."""
    if not isinstance(value, str) or not _DIGITS.fullmatch(value):
        raise InvalidInput("extension must be 1-20 digits (0-9)")
    if phones and value not in phones:
        raise InvalidInput(f"extension {value} is not one of the desk phones")
    return value


def parse_extensions(text: str) -> frozenset[str]:
    """The desk phones a setting names: ``"2001-2010,3001"``; empty: not known."""
    found: set[str] = set()
    for part in filter(None, (p.strip() for p in text.split(","))):
        low, dash, high = part.partition("-")
        if not _DIGITS.fullmatch(low) or (dash and not _DIGITS.fullmatch(high)):
            raise ValueError(f"{part!r} is not an extension or a range such as 2001-2010")
        if not high:
            found.add(low)
            continue
        if int(high) < int(low) or int(high) - int(low) > 100_000:
            raise ValueError(f"{part!r} is not a range of up to 100,000 extensions")
        found.update(str(n).zfill(len(low)) for n in range(int(low), int(high) + 1))
    return frozenset(found)


def check_password(value: object) -> str:
    """The policy for a new password: 12 to 1024 characters, no control characters."""
    if not isinstance(value, str) or not PASSWORD_MIN <= len(value) <= PASSWORD_MAX:
        raise InvalidPassword(
            f"a password is {PASSWORD_MIN} to {PASSWORD_MAX} characters; use a passphrase"
        )
    if not value.isprintable():
        raise InvalidPassword("a password holds no control or line-break character")
    return value


def check_password_attempt(value: object) -> str:
    """What a sign-in may offer as a password: a bounded string (a wrong one is a 401)."""
    if not isinstance(value, str) or not value or len(value) > PASSWORD_MAX:
        raise InvalidPassword(f"password must be a text of 1 to {PASSWORD_MAX} characters")
    return value


def check_role(value: object) -> Role:
    try:
        return Role(value)
    except ValueError:
        roles = ", ".join(r.value for r in Role)
        raise InvalidInput(f"role must be one of {roles}") from None


def check_queues(value: object, known: Collection[str] = ()) -> Queues:
    """``["12333"]`` or ``[{"queue": "12333", "penalty": 0}]``: known queues, each once."""
    if not isinstance(value, list) or len(value) > QUEUES_MAX:
        raise InvalidInput(f"queues must be a list of up to {QUEUES_MAX}")
    queues = tuple(_queue(raw, known) for raw in value)
    if len({q for q, _ in queues}) != len(queues):
        raise InvalidInput("a queue is listed twice")
    return queues


def _queue(raw: object, known: Collection[str]) -> tuple[str, int]:
    queue, penalty = (
        (raw.get("queue"), raw.get("penalty", 0)) if isinstance(raw, dict) else (raw, 0)
    )
    if not isinstance(queue, str) or not _DIGITS.fullmatch(queue):
        raise InvalidInput("a queue is its number (1-20 digits), or {queue, penalty}")
    if known and queue not in known:
        raise InvalidInput(f"queue {queue} is not one of {', '.join(sorted(known))}")
    if isinstance(penalty, bool) or not isinstance(penalty, int):
        raise InvalidInput(f"a queue's penalty is a whole number 0 to {PENALTY_MAX}")
    if not 0 <= penalty <= PENALTY_MAX:
        raise InvalidInput(f"a queue's penalty is a whole number 0 to {PENALTY_MAX}")
    return queue, penalty


# ---- the shape each role needs ---------------------------------------------------------------


def check_shape(account: Account) -> Account:
    """Refuse an account its role cannot work with (the table's CHECKs say the same)."""
    role = account.role
    if role is Role.AGENT and (account.extension is None or account.pin_hash is None):
        raise InvalidInput("an agent needs an extension (its desk phone) and a PIN")
    if role is Role.AGENT and not account.queues:
        raise InvalidInput("an agent needs at least one queue")
    if role is Role.ADMIN and account.password_hash is None:
        raise InvalidInput("an admin needs a password")
    if role is Role.SUPERVISOR and account.pin_hash is None and account.password_hash is None:
        raise InvalidInput("a supervisor needs a password (or a PIN and a desk phone)")
    if account.pin_hash is not None and account.extension is None:
        raise InvalidInput("a PIN is for a desk phone: give an extension too")
    return account


def with_role(account: Account, role: Role) -> Account:
    """``account`` under its new role: an admin keeps no phone, PIN or queue; an agent
    keeps no password. What is missing then (e.g. an agent's PIN) ``check_shape`` names."""
    if role is Role.ADMIN:
        return replace(account, role=role, extension=None, pin_hash=None, queues=())
    if role is Role.AGENT:
        return replace(account, role=role, password_hash=None)
    return replace(account, role=role)


def on_phone(account: Account) -> bool:
    """Does the account sit at a desk phone (on the agent service's roster)?"""
    return account.extension is not None and Credential.PIN in account.credentials


@dataclass(frozen=True)
class Given:
    """What an admin gave for an account's sign-in and phone (plain secrets, hashed by
    the service off the event loop; never logged, never audited)."""

    extension: str | None = None
    pin: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    queues: Queues | None = None


def refuse_misfits(role: Role, given: Given) -> None:
    """What a role must not be given: an admin no phone, PIN or queue; an agent no password."""
    if role is Role.ADMIN and (given.extension or given.pin or given.queues):
        raise InvalidInput("an admin has no desk phone, PIN or queue: give a password only")
    if role is Role.AGENT and given.password is not None:
        raise InvalidInput("an agent signs in with a PIN at its desk phone, not a password")


def detail(account: Account) -> dict[str, object]:
    """What the audit keeps of an account: never a PIN, a password or a hash."""
    return {
        "name": account.name,
        "role": account.role.value,
        "extension": account.extension,
        "queues": [q for q, _ in account.queues],
        "credentials": [c.value for c in account.credentials],
    }
