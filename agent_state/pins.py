"""PINs for signing in (desk phone ``*11`` or the PC page): salted scrypt, never stored plain.

The policy: a PIN is 4-12 ASCII digits (what a desk phone can key in). A PIN outside it
is refused before any hashing, where PINs are set and where they are checked.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from core.errors import InvalidInput

PIN_MIN = 4
PIN_MAX = 12
_PIN = re.compile(rf"[0-9]{{{PIN_MIN},{PIN_MAX}}}")


class InvalidPin(InvalidInput):
    """The PIN breaks the policy (4-12 digits); nothing was hashed."""

    code = "input.invalid_pin"


def check_pin_policy(pin: object) -> str:
    """Return ``pin`` unchanged, or refuse it (the message never repeats the PIN)."""
    if not isinstance(pin, str) or not _PIN.fullmatch(pin):
        raise InvalidPin(f"a PIN is {PIN_MIN} to {PIN_MAX} digits (0-9), nothing else")
    return pin


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """scrypt, salted; stored as ``scrypt$<salt hex>$<hash hex>``. Policy checked first."""
    check_pin_policy(pin)
    return _scrypt(pin, salt or secrets.token_bytes(16))


def _scrypt(pin: str, salt: bytes) -> str:
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    """~40 ms of scrypt: run it off the event loop (``agent_state.sign_in.PinChecker``)."""
    try:
        scheme, salt_hex, _ = stored.split("$")
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    return scheme == "scrypt" and secrets.compare_digest(_scrypt(pin, salt), stored)
