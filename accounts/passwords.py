"""Supervisors' and admins' passwords: argon2id (``argon2-cffi``), never stored plain.

argon2 is slow and memory-hard by design (about 0.2 s and 64 MiB with the defaults):
``hash`` and ``verify`` are plain functions for a worker thread, never for the event loop
(``accounts.sign_in`` runs them on the sign-in checker's thread). The cost is in the
settings (``password_time_cost``, ``password_memory_kib``, ``password_parallelism``);
a stored hash made with other parameters is re-hashed at the next good sign-in
(``needs_rehash``).
"""

from __future__ import annotations

from dataclasses import dataclass

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from accounts.model import check_password
from core.settings import Settings


@dataclass(frozen=True)
class PasswordCost:
    """argon2id's parameters; the defaults are RFC 9106's low-memory choice."""

    time_cost: int = 3
    memory_kib: int = 65536
    parallelism: int = 4

    def __post_init__(self) -> None:
        if self.time_cost < 1 or self.parallelism < 1 or self.memory_kib < 8 * self.parallelism:
            raise ValueError("argon2 needs time_cost >= 1, parallelism >= 1, memory >= 8 KiB each")

    @classmethod
    def of(cls, settings: Settings) -> PasswordCost:
        return cls(
            settings.password_time_cost, settings.password_memory_kib, settings.password_parallelism
        )


class Passwords:
    def __init__(self, cost: PasswordCost) -> None:
        self.cost = cost
        self._hasher = argon2.PasswordHasher(
            time_cost=cost.time_cost,
            memory_cost=cost.memory_kib,
            parallelism=cost.parallelism,
            type=argon2.Type.ID,
        )
        # a well-formed hash no password matches: an unknown job number (or one that has
        # no password) costs one argon2 like any other, so timing tells nothing
        self.nobody = self._hasher.hash("no account has this password: " + "-" * 16)

    def hash(self, password: str) -> str:
        """The policy first (``InvalidPassword``), then argon2id with a random salt."""
        return self._hasher.hash(check_password(password))

    def verify(self, password: str, stored: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        """Made with other parameters than the settings' (or not argon2id at all)."""
        try:
            return self._hasher.check_needs_rehash(stored)
        except InvalidHashError:
            return True

    def rehash(self, password: str) -> str:
        """A fresh hash of a password that already signed in (no policy check: a password
        set under an older policy must keep working)."""
        return self._hasher.hash(password)
