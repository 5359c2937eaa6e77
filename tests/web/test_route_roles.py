"""Every route of the app × every kind of caller: exactly the expected answer, so each
role gets exactly its routes (a new route without a row here fails the first test)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from calls import repo as calls_repo
from calls.model import CallRecord, HungUp, Outcome, Source
from tests.e2e.agents import PIN
from tests.web.conftest import AGENT, OTHER, SUPERVISOR, Floor

ROLES = ("none", "self", "other", "supervisor")
# who acts, and on whose {job}
ACTS_AS = {"none": AGENT, "self": AGENT, "other": AGENT, "supervisor": SUPERVISOR}
ACTS_ON = {"none": AGENT, "self": AGENT, "other": OTHER, "supervisor": OTHER}
# whose call {linkedid} is
CALL_OF = {AGENT: "9.1", OTHER: "9.2"}

Body = Callable[[str], Any]  # role -> JSON body


@dataclass(frozen=True)
class Row:
    expected: tuple[int, int, int, int]  # none, self (agent on itself), other (on another), sv
    body: Body = lambda role: None


def _state(role: str) -> dict[str, str]:
    if role == "self":
        return {"state": "sign_in", "pin": PIN}
    return {"state": "force_busy"} if role == "supervisor" else {"state": "sign_out"}


SCHEDULE = {"entries": [{"weekday": 1, "at": "12:00", "label": "noon_break"}]}

TABLE: dict[tuple[str, str], Row] = {
    ("GET", "/"): Row((200, 200, 200, 200)),
    ("GET", "/healthz"): Row((503, 503, 503, 503)),  # AMI is not connected in this tier
    ("GET", "/metrics"): Row((200, 200, 200, 200)),
    ("POST", "/api/sessions"): Row(
        (201, 201, 201, 201), lambda role: {"job_number": AGENT, "pin": PIN}
    ),
    ("GET", "/api/calls"): Row((401, 200, 200, 200)),
    ("GET", "/api/categories"): Row((401, 200, 200, 200)),
    ("PUT", "/api/categories"): Row((401, 403, 403, 200), lambda role: {"categories": ["其他"]}),
    ("GET", "/api/agents"): Row((401, 200, 200, 200)),
    ("GET", "/api/agents/stream"): Row((401, 200, 200, 200)),
    ("POST", "/api/agents/{job}/state"): Row((401, 200, 403, 200), _state),
    ("GET", "/api/agents/{job}/audit"): Row((401, 200, 403, 200)),
    # only a supervisor lifts a sign-in lockout
    ("DELETE", "/api/agents/{job}/lockout"): Row((401, 403, 403, 200)),
    # only the agent who answered classifies a call: a supervisor's is refused too
    ("POST", "/api/calls/{linkedid}/wrap-up"): Row(
        (401, 200, 409, 409), lambda role: {"category": "其他", "summary": "咨询"}
    ),
    ("GET", "/api/schedule"): Row((401, 200, 200, 200)),
    ("PUT", "/api/schedule"): Row((401, 403, 403, 200), lambda role: SCHEDULE),
    ("PUT", "/api/calendar/{day}"): Row((401, 403, 403, 200), lambda role: {"working": True}),
    ("DELETE", "/api/calendar/{day}"): Row((401, 403, 403, 200)),
    # the prompt library: admins only
    ("GET", "/api/admin/prompts"): Row((401, 403, 403, 403)),
    ("POST", "/api/admin/prompts"): Row(
        (401, 403, 403, 403), lambda role: {"name": "menu", "language": "zh", "text": "您好"}
    ),
    ("PUT", "/api/admin/prompts/{language}/{name}"): Row((401, 403, 403, 403)),
    ("GET", "/api/admin/prompts/{language}/{name}"): Row((401, 403, 403, 403)),
    ("DELETE", "/api/admin/prompts/{language}/{name}"): Row((401, 403, 403, 403)),
    ("GET", "/api/admin/prompts/{language}/{name}/history"): Row((401, 403, 403, 403)),
}


def test_the_table_covers_every_route_of_the_app(floor_routes: set[tuple[str, str]]) -> None:
    assert floor_routes == set(TABLE)


@pytest.fixture
def floor_routes(floor: Floor) -> set[tuple[str, str]]:
    return {
        (r.method, r.resource.canonical)
        for r in floor.app.router.routes()
        if r.method != "HEAD" and r.resource is not None
    }


async def _prepare(floor: Floor) -> None:
    """1002 signed in (a supervisor forces it busy); a call answered by each agent."""
    other = await floor.headers(OTHER)
    await floor.client.post(
        f"/api/agents/{OTHER}/state", headers=other, json={"state": "sign_in", "pin": PIN}
    )
    at = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
    for job, linkedid in CALL_OF.items():
        record = CallRecord(
            linkedid=linkedid,
            caller_number="13800000000",
            caller_name="",
            entry_number="12333",
            entered_at=at,
            ended_at=at,
            outcome=Outcome.ANSWERED,
            hung_up_first=HungUp.CALLER,
            source=Source.AMI,
            agent_job_number=job,
            agent_answered_at=at,
        )
        await calls_repo.insert(floor.pool, record)


@pytest.mark.parametrize(("method", "path"), sorted(TABLE))
async def test_each_role_gets_exactly_its_routes(floor: Floor, method: str, path: str) -> None:
    await _prepare(floor)
    row = TABLE[(method, path)]
    got = []
    for role in ROLES:
        headers = {} if role == "none" else await floor.headers(ACTS_AS[role])
        concrete = (
            path.replace("{job}", ACTS_ON[role])
            .replace("{linkedid}", CALL_OF[ACTS_ON[role]])
            .replace("{day}", "2026-10-01")
            .replace("{language}", "zh")
            .replace("{name}", "greeting")
        )
        response = await floor.client.request(
            method, concrete, headers=headers, json=row.body(role)
        )
        got.append(response.status)
        response.close()  # the stream: its status is all we need
    assert tuple(got) == row.expected, dict(zip(ROLES, got, strict=True))
