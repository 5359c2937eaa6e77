"""What an admin does to accounts, as a checklist per action (wazo's shape): who may,
what the account must be, then the change and its audit in one transaction, then the
listeners (the agents' roster, the web sessions) hear of it.

Only an admin manages accounts; an admin never changes its own role, never disables or
deletes itself (another admin must: there is always one left who can sign in). An agent
signed in at its phone is not moved, demoted, disabled or deleted under Asterisk's feet:
sign it out first (409). PINs and passwords are hashed on the sign-in checker's worker
thread, never on the event loop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from accounts import repo
from accounts.model import (
    Account,
    Given,
    check_extension,
    check_name,
    check_password,
    check_shape,
    detail,
    refuse_misfits,
    with_role,
)
from accounts.passwords import Passwords
from agent_state.pin_checker import PinChecker
from agent_state.pins import check_pin_policy, hash_pin
from core.actor import Actor, Role
from core.errors import Forbidden, HotlineError, InvalidInput, NotFound
from core.logging import get_logger

log = get_logger("accounts")

AUDIT_LIMIT_MAX = 1000
CLI_ACTOR = "hotline-cli"  # the audit's "who" for the command line (no session there)

Clock = Callable[[], datetime]
Listener = Callable[[str], Awaitable[None]]  # an account changed (its job number)


def utc_now() -> datetime:
    return datetime.now(UTC)


class AccountConflict(HotlineError):
    """The job number or extension is taken, or the account is in use (signed in)."""

    code = "account.conflict"


class AccountService:
    def __init__(
        self,
        pool: Any,
        passwords: Passwords,
        hashing: PinChecker,
        *,
        signed_in: Callable[[str], bool] = lambda job: False,
        phones: frozenset[str] = frozenset(),
        queues: frozenset[str] = frozenset(),
        clock: Clock = utc_now,
    ) -> None:
        self.pool = pool
        self.passwords = passwords
        self.hashing = hashing
        self.signed_in = signed_in
        self.phones = phones  # the desk phones' extensions, when known
        self.queues = queues  # the queues Asterisk has, when known
        self.clock = clock
        self._listeners: list[Listener] = []

    def on_change(self, listener: Listener) -> None:
        self._listeners.append(listener)

    # ---- reading --------------------------------------------------------------------------

    async def accounts(self, actor: Actor) -> list[Account]:
        _check_admin(actor)
        return await repo.accounts(self.pool)

    async def account(self, actor: Actor, job_number: str) -> Account:
        _check_admin(actor)
        return await self._account(job_number)

    async def audit(self, actor: Actor, job_number: str, limit: int) -> list[repo.Audit]:
        _check_admin(actor)
        return await repo.audit_of(self.pool, job_number, min(limit, AUDIT_LIMIT_MAX))

    # ---- changes --------------------------------------------------------------------------

    async def create(self, actor: str | Actor, base: Account, given: Given) -> Account:
        """A new account: ``base`` (job number, name, role) with what ``given`` adds."""
        who = _admin_name(actor)
        if await repo.account(self.pool, base.job_number) is not None:
            raise AccountConflict(f"job number {base.job_number} already has an account")
        account = await self._shaped(base, given)
        await self._save(account, who, "created", detail(account), new=True)
        return account

    async def change_role(
        self, actor: Actor, job_number: str, role: Role, given: Given, *, name: str | None = None
    ) -> Account:
        """The account under ``role`` with what ``given`` adds (and its new ``name``)."""
        who = _admin_name(actor)
        current = await self._account(job_number)
        if role is not current.role:
            _not_oneself(actor, job_number, "change its own role")
        self._check_signed_out(current)
        renamed = current if name is None else replace(current, name=check_name(name))
        account = await self._shaped(with_role(renamed, role), given)
        what = {"from": current.role.value, **detail(account)}
        await self._save(account, who, "role_changed", what)
        return account

    async def reset_pin(self, actor: Actor, job_number: str, pin: str) -> Account:
        who = _admin_name(actor)
        current = await self._account(job_number)
        if current.role is Role.ADMIN or current.extension is None:
            raise InvalidInput("a PIN is for an account at a desk phone; this one has none")
        account = await self._shaped(current, Given(pin=pin))
        await self._save(account, who, "pin_reset", {})
        return account

    async def reset_password(self, actor: str | Actor, job_number: str, password: str) -> Account:
        who = _admin_name(actor)
        current = await self._account(job_number)
        account = await self._shaped(current, Given(password=password))
        await self._save(account, who, "password_reset", {})
        return account

    async def set_disabled(self, actor: Actor, job_number: str, disabled: bool) -> Account:
        who = _admin_name(actor)
        _not_oneself(actor, job_number, "disable itself")
        current = await self._account(job_number)
        if disabled:
            self._check_signed_out(current)
        audit = repo.Audit(self.clock(), who, "disabled" if disabled else "enabled", {})
        await repo.set_disabled(self.pool, job_number, disabled, audit)
        await self._changed(job_number)
        return replace(current, disabled=disabled)

    async def delete(self, actor: Actor, job_number: str) -> None:
        who = _admin_name(actor)
        _not_oneself(actor, job_number, "delete itself")
        current = await self._account(job_number)
        self._check_signed_out(current)
        audit = repo.Audit(self.clock(), who, "deleted", detail(current))
        await repo.delete(self.pool, job_number, audit)
        log.info("account deleted", account=job_number, actor=who)
        await self._changed(job_number)

    # ---- the checklist's steps ----------------------------------------------------------------

    async def _account(self, job_number: str) -> Account:
        account = await repo.account(self.pool, job_number)
        if account is None:
            raise NotFound(f"no account with job number {job_number}")
        return account

    def _check_signed_out(self, account: Account) -> None:
        if self.signed_in(account.job_number):
            raise AccountConflict(
                f"{account.job_number} is signed in at a desk phone: sign it out first"
            )

    async def _shaped(self, base: Account, given: Given) -> Account:
        """``base`` with what ``given`` adds (secrets hashed off the event loop), in a
        shape its role can work with; its extension nobody else's."""
        refuse_misfits(base.role, given)
        extension = base.extension
        if given.extension is not None:
            extension = check_extension(given.extension, self.phones)
        if given.queues is not None and self.queues:
            unknown = sorted({q for q, _ in given.queues} - self.queues)
            if unknown:
                raise InvalidInput(f"no queue {', '.join(unknown)}: one of {sorted(self.queues)}")
        pin_hash, password_hash = base.pin_hash, base.password_hash
        if given.pin is not None:
            pin_hash = await self.hashing.run(hash_pin, check_pin_policy(given.pin))
        if given.password is not None:
            password = check_password(given.password)
            password_hash = await self.hashing.run(self.passwords.hash, password)
        account = check_shape(
            replace(
                base,
                extension=extension,
                pin_hash=pin_hash,
                password_hash=password_hash,
                queues=base.queues if given.queues is None else given.queues,
            )
        )
        if extension is not None:
            holder = await repo.extension_holder(self.pool, extension, account.job_number)
            if holder is not None:
                raise AccountConflict(f"extension {extension} is {holder}'s desk phone")
        return account

    async def _save(
        self, account: Account, who: str, what: str, facts: dict[str, object], *, new: bool = False
    ) -> None:
        audit = repo.Audit(self.clock(), who, what, facts)
        try:
            await repo.save(self.pool, account, audit, new=new)
        except repo.DUPLICATE as exc:  # a concurrent create or a phone taken meanwhile
            raise AccountConflict("the job number or the extension was just taken") from exc
        log.info("account changed", account=account.job_number, what=what, actor=who)
        await self._changed(account.job_number)

    async def _changed(self, job_number: str) -> None:
        for listener in list(self._listeners):
            await listener(job_number)


def _check_admin(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise Forbidden("only an admin manages accounts")


def _admin_name(actor: str | Actor) -> str:
    """Who the audit names: an admin's job number, or the command line (``CLI_ACTOR``)."""
    if isinstance(actor, str):
        return actor
    _check_admin(actor)
    return actor.job_number


def _not_oneself(actor: Actor, job_number: str, what: str) -> None:
    if actor.job_number == job_number:
        raise Forbidden(f"an admin cannot {what}: another admin must")
