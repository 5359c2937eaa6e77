"""Signing in with a password (supervisors, admins): argon2id on the sign-in checker's
worker thread, inside the same lockout as PINs (``SignInGuard.guarded``): a wrong password
counts like a wrong PIN, per job number and origin. An agent has no password, an
unknown or disabled account neither: each costs one argon2 all the same and is refused
as "wrong job number or password". A good password stored under other argon2
parameters than the settings' is re-hashed (and audited) on the way in.
"""

from __future__ import annotations

from typing import Any

from accounts import repo
from accounts.model import Account, Credential, check_password_attempt
from accounts.passwords import Passwords
from agent_state.pin_checker import SignInGuard
from agent_state.sign_in import SignInOverloaded
from core.logging import get_logger

log = get_logger("accounts")


class PasswordSignIn:
    def __init__(self, pool: Any, guard: SignInGuard, passwords: Passwords) -> None:
        self.pool = pool
        self.guard = guard
        self.passwords = passwords

    async def check(self, job_number: str, password: str, origin: str) -> Account:
        """The account whose password this is, or ``WrongCredentials`` / ``LockedOut`` /
        ``SignInOverloaded`` / ``InvalidPassword``. The password is never logged."""
        check_password_attempt(password)
        found = await repo.account(self.pool, job_number)
        account = found if found and found.signs_in_with(Credential.PASSWORD) else None
        stored = account.password_hash if account and account.password_hash else None
        hashed = stored or self.passwords.nobody

        async def verify() -> bool:
            return await self.guard.checker.run(self.passwords.verify, password, hashed)

        await self.guard.guarded(job_number, stored is not None, origin, verify, "password")
        assert account is not None and stored is not None
        await self._rehash(account.job_number, password, stored)
        return account

    async def _rehash(self, job_number: str, password: str, stored: str) -> None:
        if not self.passwords.needs_rehash(stored):
            return
        try:
            fresh = await self.guard.checker.run(self.passwords.rehash, password)
        except SignInOverloaded:
            return  # the next sign-in will
        cost = self.passwords.cost
        audit = repo.Audit(
            self.guard.clock(),
            job_number,
            "password_rehashed",
            {"time_cost": cost.time_cost, "memory_kib": cost.memory_kib},
        )
        if await repo.rehash_password(self.pool, job_number, stored, fresh, audit):
            log.info("password re-hashed with the current parameters", account=job_number)
