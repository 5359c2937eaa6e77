"""Demo data for the sandbox: agents 1001-1003 on desk phones 2001-2003 (design.md "Defaults")."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import asyncpg

DEMO_AGENTS = (
    ("1001", "演示坐席一", "2001"),
    ("1002", "演示坐席二", "2002"),
    ("1003", "演示坐席三", "2003"),
)


@dataclass(frozen=True)
class DemoAgent:
    job_number: str
    name: str
    extension: str
    pin: str


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """scrypt, salted; stored as ``scrypt$<salt hex>$<hash hex>``."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    scheme, salt_hex, _ = stored.split("$")
    return scheme == "scrypt" and secrets.compare_digest(
        hash_pin(pin, bytes.fromhex(salt_hex)), stored
    )


async def seed(conn: asyncpg.Connection, pins: dict[str, str]) -> list[DemoAgent]:
    """Insert the demo agents (or reset their PINs to ``pins``); idempotent."""
    agents = []
    for job_number, name, extension in DEMO_AGENTS:
        pin = pins[job_number]
        await conn.execute(
            "INSERT INTO agents (job_number, name, extension, pin_hash) VALUES ($1, $2, $3, $4) "
            "ON CONFLICT (job_number) DO UPDATE SET name = $2, extension = $3, pin_hash = $4",
            job_number,
            name,
            extension,
            hash_pin(pin),
        )
        agents.append(DemoAgent(job_number, name, extension, pin))
    return agents
