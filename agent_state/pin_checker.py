"""Checking a PIN (or a password) without stalling the service, and the lockout around it.

scrypt costs ~40 ms: on the event loop, a flood of wrong sign-ins would hold up every
AMI event, wrap-up timer and API call. ``PinChecker`` runs the hashes on one worker
thread (``hashlib.scrypt`` releases the GIL) behind a short bound: past
``pending_max`` checks queued or running, a sign-in is refused at once
(``SignInOverloaded``, HTTP 429, the phone hears "try later").

``SignInGuard`` is the checklist of one sign-in: the PIN policy, then the lock for this
job number and origin, then the hash, then the failure recorded (and a lock, past the
policy's limit). Unknown job numbers cost the same hash, so timing tells nothing.
A password (supervisors, admins: ``accounts.sign_in``) goes through the same thread,
bound and lockout (``SignInGuard.guarded``): a wrong password counts like a wrong PIN.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from agent_state import lockouts
from agent_state.member import Member
from agent_state.pins import check_pin_policy, verify_pin
from agent_state.sign_in import (
    LockedOut,
    LockoutPolicy,
    SignInOverloaded,
    WrongCredentials,
    locked_message,
    origin_key,
)
from core.actor import Role
from core.logging import get_logger

log = get_logger("agent_state")

# a well-formed hash no PIN matches: unknown job numbers cost one scrypt like any other
_NO_AGENT = "scrypt$" + "00" * 16 + "$" + "00" * 64

T = TypeVar("T")


class PinChecker:
    """scrypt on one worker thread, at most ``pending_max`` checks queued or running."""

    def __init__(self, pending_max: int) -> None:
        if pending_max < 1:
            raise ValueError("pending_max must be at least 1")
        self.pending_max = pending_max
        self.pending = 0
        self.shed = 0
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="pin-check"
        )

    async def verify(self, pin: str, stored: str) -> bool:
        return await self.run(verify_pin, pin, stored)

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)`` on the worker thread (a hash: CPU-heavy by design)."""
        if self.pending >= self.pending_max:
            self.shed += 1
            raise SignInOverloaded(
                "too many sign-ins at once; try again in a moment", retry_after_s=1
            )
        loop = asyncio.get_running_loop()
        self.pending += 1
        future = self._executor.submit(work, *args)
        # counted until the thread is done with it, even if the asker gave up
        future.add_done_callback(lambda _: loop.call_soon_threadsafe(self._done))
        return await asyncio.wrap_future(future)

    def _done(self) -> None:
        self.pending -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


Clock = Callable[[], datetime]


class SignInGuard:
    def __init__(self, pool: Any, checker: PinChecker, policy: LockoutPolicy, clock: Clock):
        self.pool = pool
        self.checker = checker
        self.policy = policy
        self.clock = clock

    async def check(self, member: Member | None, job_number: str, pin: str, origin: str) -> Member:
        """The member whose PIN this is, or ``WrongCredentials`` / ``LockedOut`` /
        ``SignInOverloaded`` / ``InvalidPin``. The PIN itself is never logged. An admin
        never signs in with a PIN (it has none, and is on no roster: checked again here)."""
        check_pin_policy(pin)
        if member is not None and member.role is Role.ADMIN:
            member = None
        stored = member.pin_hash if member else _NO_AGENT
        await self.guarded(
            job_number, member is not None, origin, lambda: self.checker.verify(pin, stored)
        )
        assert member is not None
        return member

    async def guarded(
        self,
        job_number: str,
        known: bool,
        origin: str,
        verify: Callable[[], Awaitable[bool]],
        what: str = "PIN",
    ) -> None:
        """The lockout around one check of a secret: refused while locked out (from this
        origin), then ``verify`` (a hash on the worker thread), then a failure recorded —
        and a lock past the policy's limit. ``known``: the job number has this kind of
        secret (an unknown one is hashed all the same, never recorded). Returns only on
        a match."""
        key = origin_key(origin)
        if known:
            until = await lockouts.locked_until(self.pool, job_number, key, self.clock())
            if until is not None:
                log.info("sign-in refused", agent=job_number, origin=key, why="locked_out")
                raise LockedOut(locked_message(until), until=until.isoformat())
        matches = await verify()
        if known and matches:
            await lockouts.succeeded(self.pool, job_number, key, self.clock())
            return
        if known:
            await self._failed(job_number, key)
        log.info("sign-in refused", agent=job_number, origin=key, why="wrong_credentials")
        raise WrongCredentials(f"wrong job number or {what}")

    async def lift(self, job_number: str, *, actor: str) -> list[str]:
        """A supervisor lifts every lock of ``job_number``; the origins that were locked."""
        origins = await lockouts.lift(self.pool, job_number, self.clock(), actor)
        log.info("sign-in lockout lifted", agent=job_number, origins=origins, actor=actor)
        return origins

    async def _failed(self, job_number: str, key: str) -> None:
        now = self.clock()
        failures = await lockouts.failed(
            self.pool, job_number, key, now, self.policy.window_start(now)
        )
        until = self.policy.lock_after(failures, now)
        if until is None:
            return
        await lockouts.lock(self.pool, job_number, key, now, until)
        log.warning(
            "sign-in locked out", agent=job_number, origin=key, failures=failures, until=until
        )
        raise LockedOut(locked_message(until), until=until.isoformat())
