"""What the benchmarks share: ``hotline serve`` run as users run it, and its usage.

A process of its own with info logs as JSON to a file (as in production), waited for
until ``/healthz`` answers 200, terminated afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from ami import AmiClient
from core.settings import Settings


def service_ami(settings: Settings, secrets: Mapping[str, Any]) -> AmiClient:
    """An AMI session as the service's own user (the benches' set-ups and clean-ups)."""
    return AmiClient(
        settings.ami_host, settings.ami_port, settings.ami_username, secrets["ami_service"]
    )


@contextlib.asynccontextmanager
async def serve(
    settings: Settings, url: str, log: Path, port: int, env: Mapping[str, str] | None = None
) -> AsyncIterator[Any]:
    """``hotline serve`` on database ``url`` and HTTP ``port``; yields the process."""
    environ = {
        **os.environ,
        "DATABASE_URL": url,
        "HOTLINE_HTTP_PORT": str(port),
        "HOTLINE_LOG_FORMAT": "json",
        "HOTLINE_LOG_LEVEL": "info",
        "HOTLINE_SANDBOX_DIR": str(settings.sandbox_dir),
        **(env or {}),
    }
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "from hotline.cli import main; raise SystemExit(main(['serve']))",
            env=environ,
            stdout=out,
            stderr=out,
        )
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                        if r.status == 200:
                            break
                if proc.returncode is not None:
                    raise RuntimeError(f"hotline serve exited; see {log}")
                await asyncio.sleep(0.1)
            else:
                raise RuntimeError(f"hotline serve never became healthy; see {log}")
        yield proc
    finally:
        if proc.returncode is None:
            proc.terminate()
            await proc.wait()


@dataclass
class Usage:
    """CPU and RSS of one process, read from /proc."""

    pid: int

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0
