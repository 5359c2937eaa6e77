"""PINs for signing in (desk phone ``*11`` or the PC page): salted scrypt, never stored plain."""

from __future__ import annotations

import hashlib
import secrets


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """scrypt, salted; stored as ``scrypt$<salt hex>$<hash hex>``."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    try:
        scheme, salt_hex, _ = stored.split("$")
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    return scheme == "scrypt" and secrets.compare_digest(hash_pin(pin, salt), stored)
