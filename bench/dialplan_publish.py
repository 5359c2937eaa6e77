"""Benchmark: compile and publish a 500-node dial plan while 20 callers are mid-menu (issue 10).

What an admin gets: ``hotline serve`` runs as users run it (a process of its own, info
logs as JSON to a file) on a fresh database; the admin signs in with a password and
publishes through the API (``POST /api/admin/dialplan/drafts/{id}/publish``), which
validates, compiles the live version and the ones kept, writes the files, reloads the
dialplan over AMI as ``hotline-publish`` and reads ``dialplan show`` back. Prints:
- validate + compile of the plan in this process (the pure part), median of 20;
- the publish request end to end (HTTP round trip), for the first version and for the
  second one while 20 SIPp callers wait in the first version's menu;
- what became of those 20 calls: each must finish in the version it started in.

Goal: a 500-node plan published in ≤ 2 s end to end; no call dropped.

    sudo .venv/bin/python bench/dialplan_publish.py [--nodes 500] [--calls 20]

Needs the sandbox (`hotline sandbox up`) and nobody else using it (take the e2e lock).
Uses a database of its own, dropped after; the sandbox's plan files are put back.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from accounts.passwords import PasswordCost, Passwords
from ami import AmiClient
from ami.events import Event
from asterisk_conf.sandbox import throwaway
from asterisk_conf.sandbox.sandbox import OBSERVER_USER, Sandbox
from asterisk_conf.sandbox.sipp import Sipp
from bench.serving import serve
from core import names
from core.logging import configure_logging
from core.settings import Settings, load_settings
from db.migrate import migrate
from dialplan.compiler import CompileOptions, compile_plan
from dialplan.model import DEFAULT_LANGUAGE
from dialplan.plan_json import parse_plan
from dialplan.publish import read_folder, write_folder
from dialplan.validate import Known, validate

HTTP_PORT = 18095
ADMIN, PASSWORD = "1099", "bench admin passphrase"
PROMPT = "greeting"  # a shipped prompt: callers hear it in the waiting menu


def big_plan(nodes: int, entry: str, queue: str, tag: str) -> dict[str, Any]:
    """A waiting menu (callers sit in it: 1 → the menu tree, nothing → goodbye), then
    menus of up to nine choices, level by level, whose leaves play and go to the queue,
    until the plan has ``nodes`` nodes. ``tag`` makes two versions differ."""
    out: list[dict[str, Any]] = [
        {"kind": "queue", "id": "agents", "queue": queue, "when_nobody": "message"},
        {"kind": "voicemail", "id": "message", "prompt": PROMPT},
        {"kind": "hang_up", "id": "goodbye"},
    ]
    budget = nodes - len(out) - 1
    level: list[str] = []
    menus: list[dict[str, Any]] = []
    frontier = ["m0"]
    budget -= 1
    while budget > 0 and frontier:
        parent = frontier.pop(0)
        children = []
        for digit in "123456789":
            if budget <= 0:
                break
            child = f"{tag}{len(menus) + len(level) + 1}"
            children.append((digit, child))
            level.append(child)
            frontier.append(child)
            budget -= 1
        menus.append({"id": parent, "choices": dict(children)})
    made = {m["id"] for m in menus}
    for menu in menus:
        out.append(
            {
                "kind": "menu",
                "id": menu["id"],
                "prompt": PROMPT,
                "choices": menu["choices"] or {"1": "agents"},
                "after_retries": "agents",
                "timeout_s": 3,
                "retries": 1,
            }
        )
    for leaf in (n for n in level if n not in made):
        out.append({"kind": "play", "id": leaf, "prompt": PROMPT, "next": "agents"})
    out.append(
        {
            "kind": "menu",
            "id": "waiting",
            "prompt": PROMPT,
            "choices": {"1": "m0"},
            "after_retries": "goodbye",
            "timeout_s": 5,
            "retries": 1,
        }
    )
    return {"name": f"bench {tag}", "entry_numbers": [entry], "start": "waiting", "nodes": out}


def pure_figures(plan_json: dict[str, Any], settings: Settings) -> None:
    plan = parse_plan(plan_json)
    known = Known({DEFAULT_LANGUAGE: frozenset({PROMPT})}, frozenset({settings.queue}))
    options = CompileOptions(settings.prompts_dir, settings.timezone)
    times = []
    for _ in range(20):
        began = time.perf_counter()
        validate(plan, known)
        compiled = compile_plan(plan, 1, options)
        times.append(time.perf_counter() - began)
    print(
        f"validate + compile, {len(plan.nodes)} nodes ({len(compiled.contexts)} contexts,"
        f" {len(compiled.text.splitlines())} lines):"
        f" median {statistics.median(times) * 1000:.1f} ms"
    )


async def publish(http: aiohttp.ClientSession, api: str, token: str, plan: dict[str, Any]) -> float:
    """Create a draft and publish it; the publish request's seconds, end to end."""
    auth = {"Authorization": f"Bearer {token}"}
    async with http.post(
        f"{api}/admin/dialplan/drafts", json={"name": plan["name"], "plan": plan}, headers=auth
    ) as r:
        body = await r.json()
        if r.status != 201:
            raise RuntimeError(f"draft: {r.status} {body}")
    began = time.perf_counter()
    async with http.post(f"{api}/admin/dialplan/drafts/{body['id']}/publish", headers=auth) as r:
        answer = await r.json()
        seconds = time.perf_counter() - began
        if r.status != 201:
            raise RuntimeError(f"publish: {r.status} {answer.get('error')} {answer.get('message')}")
    return seconds


class Nodes:
    """The observer's view: each caller's (version, node) steps."""

    def __init__(self) -> None:
        self.steps: dict[str, list[tuple[str, str]]] = {}

    def on_event(self, event: Event) -> None:
        if event.get("UserEvent") == names.EVENT_NODE:
            self.steps.setdefault(event.get("Linkedid") or "", []).append(
                (event.get("Version") or "", event.get("Node") or "")
            )

    def in_node(self, node: str) -> int:
        return sum(1 for steps in self.steps.values() if steps and steps[-1][1] == node)


async def make_admin(url: str, settings: Settings) -> None:
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
        hashed = Passwords(PasswordCost.of(settings)).hash(PASSWORD)
        await conn.execute(
            "INSERT INTO agents (job_number, name, role, password_hash)"
            " VALUES ($1, 'bench', 'admin', $2)",
            ADMIN,
            hashed,
        )
    finally:
        await conn.close()


async def run(node_count: int, call_count: int) -> None:
    settings = load_settings(os.environ)
    sandbox = Sandbox(settings)
    secrets = sandbox.ensure_secrets()
    entry = settings.entry_number
    first = big_plan(node_count, entry, settings.queue, "a")
    second = big_plan(node_count, entry, settings.queue, "b")
    pure_figures(first, settings)

    admin_url = sandbox.database_url(secrets)
    name = throwaway.for_bench()
    admin = await asyncpg.connect(admin_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    log = Path(tempfile.mkdtemp(prefix="hotline-bench-")) / "serve.log"
    api = f"http://127.0.0.1:{HTTP_PORT}/api"
    before = read_folder(sandbox.plans_dir)
    nodes = Nodes()
    observer = AmiClient(
        settings.ami_host, settings.ami_port, OBSERVER_USER, secrets["ami_observer"]
    )
    observer.on_event("UserEvent", nodes.on_event)
    sipp = Sipp(sandbox.root, settings.sip_host, settings.sip_port)
    try:
        await make_admin(url, settings)
        await observer.start()
        async with serve(settings, url, log, HTTP_PORT) as proc, aiohttp.ClientSession() as http:
            print(f"hotline serve pid {proc.pid}, info log in {log}")
            async with http.post(
                f"{api}/sessions", json={"job_number": ADMIN, "password": PASSWORD}
            ) as r:
                token = (await r.json())["token"]
            seconds = await publish(http, api, token, first)
            print(f"publish v1 ({node_count} nodes), nobody calling: {seconds:.2f} s end to end")

            callers = [f"1390000{i:04d}" for i in range(call_count)]
            calls = asyncio.create_task(
                sipp.calls(
                    entry,
                    callers,
                    every_ms=100,
                    talk_ms=500,
                    until_far_end_hangs_up=True,
                    concurrent=call_count,
                    trunk_port=settings.trunk_port,
                    timeout_s=90,
                )
            )
            deadline = time.monotonic() + 30
            while nodes.in_node("waiting") < call_count:
                if time.monotonic() > deadline or calls.done():
                    raise RuntimeError(f"only {nodes.in_node('waiting')} callers in the menu")
                await asyncio.sleep(0.05)
            up = nodes.in_node("waiting")
            seconds = await publish(http, api, token, second)
            print(
                f"publish v2 ({node_count} nodes) with {up} callers mid-menu in v1:"
                f" {seconds:.2f} s end to end"
            )
            result = await calls
            finished = [s for s in nodes.steps.values() if s and s[0] == ("1", "waiting")]
            in_v1 = sum(1 for s in finished if s[-1] == ("1", "goodbye"))
            print(
                f"calls: {result.successful} of {call_count} completed normally,"
                f" {result.failed} failed; {in_v1} went on to v1's goodbye after the reload"
                f" (dropped: {call_count - min(result.successful, in_v1)})"
            )
    finally:
        write_folder(sandbox.plans_dir, before)
        sandbox.asterisk.cli("dialplan reload")
        await observer.close()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    configure_logging("console", "warning")
    asyncio.run(run(args.nodes, args.calls))


if __name__ == "__main__":
    main()
