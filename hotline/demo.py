"""Demo data for the sandbox: agents 1001-1003 on desk phones 2001-2003 (design.md "Defaults")."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from agent_state.pins import hash_pin

DEMO_ADMIN_NAME = "演示管理员"
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


async def seed(
    conn: asyncpg.Connection, pins: dict[str, str], queue: str = "12333"
) -> list[DemoAgent]:
    """Insert the demo agents in ``queue`` (or reset their PINs to ``pins``); idempotent."""
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
        await conn.execute(
            "INSERT INTO agent_queues (job_number, queue) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            job_number,
            queue,
        )
        agents.append(DemoAgent(job_number, name, extension, pin))
    return agents
