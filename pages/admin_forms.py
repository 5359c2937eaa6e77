"""The admin's account and desk-phone forms, pure: each field checked with the accounts'
own rules (``accounts.model``, ``agent_state.pins``, ``deskphones.model``) and every
refusal kept at its field, so a form with three mistakes says all three at once.
What passes goes to ``AccountService`` / ``PhoneService``, which check it again.

A refusal is a message id (``admin.agents.*`` or ``error.<code>``); the handler words it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from accounts.model import (
    Account,
    Given,
    check_extension,
    check_job_number,
    check_name,
    check_password,
    check_role,
)
from agent_state.pins import check_pin_policy
from core.actor import Role
from core.errors import HotlineError

Errors = dict[str, str]  # field -> message id


@dataclass(frozen=True)
class AccountForm:
    """What the admin typed (secrets never shown back: ``repr`` hides them)."""

    job_number: str = ""
    name: str = ""
    role: str = "agent"
    extension: str = ""
    queues: tuple[str, ...] = ()
    pin: str = field(default="", repr=False)
    password: str = field(default="", repr=False)


def form_of(values: Mapping[str, str], queues: Sequence[str]) -> AccountForm:
    def get(key: str) -> str:
        if key in ("pin", "password"):  # as typed: a space may be part of a passphrase
            return values.get(key, "")[:1100]
        return values.get(key, "")[:200].strip()

    return AccountForm(
        job_number=get("job_number"),
        name=get("name"),
        role=get("role") or "agent",
        extension=get("extension"),
        queues=tuple(queues[:20]),
        pin=get("pin"),
        password=get("password"),
    )


def _at(errors: Errors, key: str, check: Callable[[], object]) -> None:
    try:
        check()
    except HotlineError as exc:
        errors.setdefault(key, f"error.{exc.code}")


def check_account(
    form: AccountForm, phones: Collection[str], known_queues: Collection[str], *, new: bool
) -> tuple[Account | None, Given | None, Errors]:
    """The account and what it is given, or the refusals at their fields. An agent needs
    a desk phone, a PIN (when new) and a queue; an admin a password (when new) and no
    phone; a supervisor a password or a PIN with a phone."""
    errors: Errors = {}
    if new:
        _at(errors, "job_number", lambda: check_job_number(form.job_number))
    _at(errors, "name", lambda: check_name(form.name))
    _at(errors, "role", lambda: check_role(form.role))
    if errors.get("role"):
        return None, None, errors
    role = Role(form.role)
    if form.extension and role is not Role.ADMIN:
        _at(errors, "extension", lambda: check_extension(form.extension, phones))
    if form.pin and role is not Role.ADMIN:
        _at(errors, "pin", lambda: check_pin_policy(form.pin))
    if form.password and role is not Role.AGENT:
        _at(errors, "password", lambda: check_password(form.password))
    unknown = [q for q in form.queues if known_queues and q not in known_queues]
    if unknown:
        errors["queues"] = "admin.agents.unknown_queue"
    _shape(form, role, errors, new=new)
    if errors:
        return None, None, errors
    account = Account(job_number=form.job_number, name=form.name, role=role)
    return account, _given(form, role), errors


def _shape(form: AccountForm, role: Role, errors: Errors, *, new: bool) -> None:
    if role is Role.AGENT:
        if not form.extension:
            errors.setdefault("extension", "admin.agents.need_extension")
        if new and not form.pin:
            errors.setdefault("pin", "admin.agents.need_pin")
        if not form.queues:
            errors.setdefault("queues", "admin.agents.need_queue")
    elif (role is Role.ADMIN and new and not form.password) or (
        role is Role.SUPERVISOR and new and not form.password and not form.pin
    ):
        errors.setdefault("password", "admin.agents.need_password")
    if role is Role.SUPERVISOR and form.pin and not form.extension:
        errors.setdefault("extension", "admin.agents.need_extension")


def _given(form: AccountForm, role: Role) -> Given:
    """An admin is given no phone, PIN or queue; an agent no password."""
    desk = role is not Role.ADMIN
    return Given(
        extension=(form.extension or None) if desk else None,
        pin=(form.pin or None) if desk else None,
        password=(form.password or None) if role is not Role.AGENT else None,
        queues=tuple((q, 0) for q in form.queues) if desk else (),
    )


def field_of(exc: HotlineError) -> str:
    """Where a refusal the service found (after the form's checks passed) belongs."""
    message = exc.message.lower()
    if exc.code == "input.invalid_pin":
        return "pin"
    if exc.code == "input.invalid_password":
        return "password"
    if exc.code == "account.conflict":
        return "extension" if "extension" in message else "job_number"
    return "form"
