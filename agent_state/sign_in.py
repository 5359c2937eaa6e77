"""The sign-in policy, pure: when repeated wrong PINs lock a job number out, and for whom.

A lock is keyed by the job number *and* the origin (the desk phone's extension, or the
web client's address): callers hear job numbers (standard.md R8), so a stranger who
keys wrong PINs locks that job number out of *their* phone or address only, never out
of the agent's own desk phone. The I/O (the worker thread, PostgreSQL) is in
``agent_state.pin_checker`` and ``agent_state.lockouts``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.errors import HotlineError

ORIGIN_MAX = 100


class WrongCredentials(HotlineError):
    code = "agent.wrong_credentials"


class LockedOut(HotlineError):
    """Too many wrong PINs for this job number from this phone or address; ``until``."""

    code = "agent.locked_out"


class SignInOverloaded(HotlineError):
    """Too many PIN checks waiting: refused at once so the service stays responsive."""

    code = "agent.sign_in_overloaded"


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lock_for: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        if self.max_failures < 1 or self.window <= timedelta(0) or self.lock_for <= timedelta(0):
            raise ValueError("a lockout policy needs at least one failure and positive times")

    def window_start(self, now: datetime) -> datetime:
        """Failures before this moment no longer count."""
        return now - self.window

    def lock_after(self, failures: int, now: datetime) -> datetime | None:
        """``failures`` wrong PINs in the window (this one included): the lock's end, if any."""
        return now + self.lock_for if failures >= self.max_failures else None


def phone_origin(extension: str) -> str:
    return f"phone:{extension}"


def web_origin(address: str | None) -> str:
    return f"web:{address}" if address else "web"


def origin_key(origin: str) -> str:
    """The stored key: printable, bounded (an address or extension, never free text)."""
    cleaned = "".join(c for c in origin if c.isprintable() and not c.isspace())
    return cleaned[:ORIGIN_MAX] or "unknown"


def locked_message(until: datetime) -> str:
    return (
        "too many wrong PINs or passwords from here: signing in is locked until "
        f"{until.isoformat()}; a supervisor can lift it"
    )
