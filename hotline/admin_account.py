"""``hotline accounts add-admin``: the first admin (and the demo's), from the command line.

The password comes from ``HOTLINE_ADMIN_PASSWORD`` or the first line of standard input
(a prompt without echo on a terminal) — never from the arguments, which every user of
the machine can read in the process list. The change goes through ``AccountService``
like the admin API's, audited with ``hotline-cli`` as who.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Mapping
from typing import TextIO

from accounts import repo
from accounts.model import Account, Given, check_job_number, check_name
from accounts.passwords import PasswordCost, Passwords
from accounts.service import CLI_ACTOR, AccountConflict, AccountService
from agent_state.pin_checker import PinChecker
from core.actor import Role
from core.errors import InvalidInput
from core.settings import Settings
from db.pool import create_pool

PASSWORD_ENV = "HOTLINE_ADMIN_PASSWORD"  # noqa: S105 - the variable's name


def read_password(environ: Mapping[str, str], stdin: TextIO) -> str:
    """The new admin's password: the environment variable, else standard input."""
    if environ.get(PASSWORD_ENV):
        return environ[PASSWORD_ENV]
    if stdin.isatty():
        return getpass.getpass("password for the new admin (12+ characters): ")
    line = stdin.readline()
    if not line:
        raise InvalidInput(f"no password: set {PASSWORD_ENV} or write it to standard input")
    return line.removesuffix("\n").removesuffix("\r")


async def add_admin(settings: Settings, job_number: str, name: str, password: str) -> str:
    """Create admin ``job_number``, or reset its password if it is one already; what was done."""
    pool = await create_pool(settings, max_size=2)
    hashing = PinChecker(1)
    try:
        service = AccountService(pool, Passwords(PasswordCost.of(settings)), hashing)
        existing = await repo.account(pool, job_number)
        if existing is None:
            await service.create(
                CLI_ACTOR, Account(job_number, name, Role.ADMIN), Given(password=password)
            )
            return "created"
        if existing.role is not Role.ADMIN:
            raise AccountConflict(
                f"{job_number} is a {existing.role.value}'s account, not an admin's"
            )
        await service.reset_password(CLI_ACTOR, job_number, password)
        return "password reset"
    finally:
        hashing.close()
        await pool.close()


def run(settings: Settings, job_number: str, name: str, environ: Mapping[str, str]) -> int:
    check_job_number(job_number)
    check_name(name)
    done = asyncio.run(add_admin(settings, job_number, name, read_password(environ, sys.stdin)))
    print(f"admin {job_number}: {done}")
    return 0
