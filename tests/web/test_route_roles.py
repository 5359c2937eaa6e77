"""Every route of the app × every kind of caller: exactly the expected answer, so each
role gets exactly its routes (a new route without a row here fails the first test).

An admin is not a supervisor (least privilege): it manages accounts (and, with issue 10,
dial plans), reads what any signed-in person reads and every figure (the reports, the
callback figures: ``core.actor.FIGURE_READERS``), but it forces no agent busy,
signs nobody out, lifts no lockout and reads no other agent's audit. Only an admin
uses ``/api/admin/...``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from callback import repo as callback_repo
from callback.model import Kind, Reason, Request
from calls import repo as calls_repo
from calls.model import CallRecord, HungUp, Outcome, Source
from pages.routes import PAGE_ROLES
from tests.e2e.agents import PIN
from tests.web.conftest import ADMIN, AGENT, OTHER, SUPERVISOR, Floor

ROLES = ("none", "self", "other", "supervisor", "admin")
# who acts, and on whose {job}: the admin on the supervisor's account (signed out, with a
# desk phone and a PIN, so every account route has something to change)
ACTS_AS = {"none": AGENT, "self": AGENT, "other": AGENT, "supervisor": SUPERVISOR, "admin": ADMIN}
ACTS_ON = {"none": AGENT, "self": AGENT, "other": OTHER, "supervisor": OTHER, "admin": SUPERVISOR}
# whose call {linkedid} is
CALL_OF = {AGENT: "9.1", OTHER: "9.2", SUPERVISOR: "9.3"}

# whose callback {id} is: a return visit each owns, opened by _prepare
CALLBACK_OF: dict[str, str] = {}

Body = Callable[[str], Any]  # role -> JSON body


@dataclass(frozen=True)
class Row:
    # none, self (agent on itself), other (on another), supervisor, admin
    expected: tuple[int, int, int, int, int]
    body: Body = lambda role: None


def _state(role: str) -> dict[str, str]:
    if role == "self":
        return {"state": "sign_in", "pin": PIN}
    return {"state": "force_busy"} if role == "supervisor" else {"state": "sign_out"}


def _draft_body(role: str) -> dict[str, object]:
    return {"name": "x", "plan": {}, "keys": "1", "at": "2026-10-01T09:00"}


PASSWORD = "a passphrase of the test"
PHONE_PW = "desk-phone-pw.1"
NEW_ACCOUNT = {"job_number": "1050", "name": "新主管", "role": "supervisor", "password": PASSWORD}
SCHEDULE = {"entries": [{"weekday": 1, "at": "12:00", "label": "noon_break"}]}

TABLE: dict[tuple[str, str], Row] = {
    ("GET", "/healthz"): Row((503, 503, 503, 503, 503)),  # AMI is not connected in this tier
    ("GET", "/metrics"): Row((200, 200, 200, 200, 200)),
    ("POST", "/api/sessions"): Row(
        (201, 201, 201, 201, 201), lambda role: {"job_number": AGENT, "pin": PIN}
    ),
    ("GET", "/api/calls"): Row((401, 200, 200, 200, 200)),
    ("GET", "/api/categories"): Row((401, 200, 200, 200, 200)),
    ("PUT", "/api/categories"): Row(
        (401, 403, 403, 403, 200), lambda role: {"categories": ["其他"]}
    ),
    ("GET", "/api/agents"): Row((401, 200, 200, 200, 200)),
    ("GET", "/api/agents/stream"): Row((401, 200, 200, 200, 200)),
    ("POST", "/api/agents/{job}/state"): Row((401, 200, 403, 200, 403), _state),
    ("GET", "/api/agents/{job}/audit"): Row((401, 200, 403, 200, 403)),
    # only a supervisor lifts a sign-in lockout
    ("DELETE", "/api/agents/{job}/lockout"): Row((401, 403, 403, 200, 403)),
    # only the agent who answered classifies a call: a supervisor's is refused too
    ("POST", "/api/calls/{linkedid}/wrap-up"): Row(
        (401, 200, 409, 409, 409), lambda role: {"category": "其他", "summary": "咨询"}
    ),
    ("GET", "/api/schedule"): Row((401, 200, 200, 200, 200)),
    ("PUT", "/api/schedule"): Row((401, 403, 403, 403, 200), lambda role: SCHEDULE),
    ("PUT", "/api/calendar/{day}"): Row((401, 403, 403, 403, 200), lambda role: {"working": True}),
    ("DELETE", "/api/calendar/{day}"): Row((401, 403, 403, 403, 200)),
    # accounts: an admin's only
    ("GET", "/api/admin/accounts"): Row((401, 403, 403, 403, 200)),
    ("POST", "/api/admin/accounts"): Row((401, 403, 403, 403, 201), lambda role: NEW_ACCOUNT),
    ("PUT", "/api/admin/accounts/{job}/role"): Row(
        (401, 403, 403, 403, 200), lambda role: {"role": "supervisor", "password": PASSWORD}
    ),
    ("PUT", "/api/admin/accounts/{job}/pin"): Row(
        (401, 403, 403, 403, 200), lambda role: {"pin": "13579"}
    ),
    ("PUT", "/api/admin/accounts/{job}/password"): Row(
        (401, 403, 403, 403, 200), lambda role: {"password": PASSWORD}
    ),
    ("PUT", "/api/admin/accounts/{job}/disabled"): Row(
        (401, 403, 403, 403, 200), lambda role: {"disabled": True}
    ),
    ("DELETE", "/api/admin/accounts/{job}"): Row((401, 403, 403, 403, 200)),
    ("GET", "/api/admin/accounts/{job}/audit"): Row((401, 403, 403, 403, 200)),
    # the calendar's and the prompt library's admin APIs: admins only; the admin's code is
    # what the placeholder body or path gives (tests/web/test_calendar_api.py and
    # test_prompts_api.py have the successes)
    ("GET", "/api/admin/calendar"): Row((401, 403, 403, 403, 400)),
    ("PUT", "/api/admin/calendar/overrides/{day}"): Row((401, 403, 403, 403, 400)),
    ("DELETE", "/api/admin/calendar/overrides/{day}"): Row((401, 403, 403, 403, 200)),
    ("GET", "/api/admin/calendar/notices/{year}"): Row((401, 403, 403, 403, 404)),
    ("PUT", "/api/admin/calendar/notices/{year}"): Row((401, 403, 403, 403, 400)),
    ("DELETE", "/api/admin/calendar/notices/{year}"): Row((401, 403, 403, 403, 404)),
    # the OpenAPI document: any signed-in person (the routes it names check roles)
    ("GET", "/api/openapi.json"): Row((401, 200, 200, 200, 200)),
    # dial plans (issue 10): admins only, refused before the body is read; the admin's
    # code is what the placeholder body or a draft/version that does not exist gives
    # (tests/web/test_dialplan_api.py has the successes)
    **{
        (method, "/api/admin/dialplan" + path): Row((401, 403, 403, 403, admin), _draft_body)
        for method, path, admin in (
            ("GET", "/drafts", 200),
            ("POST", "/drafts", 400),
            ("GET", "/drafts/{draft}", 404),
            ("PUT", "/drafts/{draft}", 400),
            ("DELETE", "/drafts/{draft}", 404),
            ("POST", "/drafts/{draft}/validate", 404),
            ("POST", "/drafts/{draft}/simulate", 404),
            ("POST", "/drafts/{draft}/publish", 404),
            ("GET", "/versions", 200),
            ("GET", "/versions/{version}", 404),
            ("POST", "/versions/{version}/simulate", 404),
            ("POST", "/versions/{version}/rollback", 404),
            ("GET", "/diff", 400),
            ("GET", "/audit", 200),
        )
    },
    # the prompt library: admins only
    ("GET", "/api/admin/prompts"): Row((401, 403, 403, 403, 200)),
    ("POST", "/api/admin/prompts"): Row(
        (401, 403, 403, 403, 201), lambda role: {"name": "menu", "language": "zh", "text": "您好"}
    ),
    ("PUT", "/api/admin/prompts/{language}/{name}"): Row((401, 403, 403, 403, 400)),
    ("GET", "/api/admin/prompts/{language}/{name}"): Row((401, 403, 403, 403, 200)),
    ("DELETE", "/api/admin/prompts/{language}/{name}"): Row((401, 403, 403, 403, 409)),
    ("GET", "/api/admin/prompts/{language}/{name}/history"): Row((401, 403, 403, 403, 200)),
    # callbacks (issue 11): agents and supervisors; an agent sees and works their own, a
    # supervisor every one and alone lists all, reassigns and cancels; the figures are read
    # by supervisors and admins, as every figure (core.actor.FIGURE_READERS)
    ("GET", "/api/callbacks"): Row((401, 403, 403, 200, 403)),
    ("GET", "/api/callbacks/mine"): Row((401, 200, 200, 200, 403)),
    ("GET", "/api/callbacks/figures"): Row((401, 403, 403, 400, 400)),  # no from/to here
    ("POST", "/api/callbacks/escalations"): Row(
        (401, 201, 409, 201, 403),
        lambda role: {"call": CALL_OF[ACTS_ON[role]], "category": "建议投诉", "question": "问"},
    ),
    ("POST", "/api/callbacks/return-visits"): Row(
        (401, 201, 201, 201, 403),
        lambda role: {"number": "13800000000", "at": "2026-12-01T10:00", "question": "回访"},
    ),
    ("GET", "/api/callbacks/{id}"): Row((401, 200, 403, 200, 403)),
    ("GET", "/api/callbacks/{id}/recording"): Row((401, 404, 403, 404, 403)),  # no voicemail
    # open, not in progress: the transition table refuses an outcome or a confirmation
    ("POST", "/api/callbacks/{id}/outcome"): Row(
        (401, 409, 403, 409, 403), lambda role: {"outcome": "resolved"}
    ),
    ("POST", "/api/callbacks/{id}/reschedule"): Row(
        (401, 200, 403, 200, 403), lambda role: {"at": "2026-12-02T10:00"}
    ),
    ("POST", "/api/callbacks/{id}/reassign"): Row(
        (401, 403, 403, 200, 403), lambda role: {"owner": AGENT}
    ),
    ("POST", "/api/callbacks/{id}/cancel"): Row(
        (401, 403, 403, 200, 403), lambda role: {"why": "重复"}
    ),
    ("POST", "/api/callbacks/{id}/confirm"): Row((401, 409, 403, 409, 403)),
    # ---- admin: accounts and desk phones ----
    # published desk phones: admins only, refused before the body is read; the admin's
    # code is what phone 3009 (none) gives (test_admin_agents_pages.py: successes)
    ("GET", "/api/admin/phones"): Row((401, 403, 403, 403, 200)),
    ("POST", "/api/admin/phones"): Row(
        (401, 403, 403, 403, 201), lambda role: {"extension": "3001", "password": PHONE_PW}
    ),
    ("PUT", "/api/admin/phones/{extension}/password"): Row(
        (401, 403, 403, 403, 404), lambda role: {"password": PHONE_PW}
    ),
    ("PUT", "/api/admin/phones/{extension}/active"): Row(
        (401, 403, 403, 403, 404), lambda role: {"active": False}
    ),
    # department numbers (issue 12, case work): admins only, refused before the body
    ("GET", "/api/admin/departments"): Row((401, 403, 403, 403, 200)),
    ("POST", "/api/admin/departments"): Row(
        (401, 403, 403, 403, 201), lambda role: {"name": "社保科", "number": "88881234"}
    ),
    ("PUT", "/api/admin/departments/{id}"): Row((401, 403, 403, 403, 400)),  # "{id}"
    ("POST", "/api/admin/departments/{id}/disable"): Row((401, 403, 403, 403, 400)),
    # reports (issue 12): supervisors and admins read them; no from/to here
    ("GET", "/api/reports/quality"): Row((401, 403, 403, 400, 400)),
    ("GET", "/api/reports/quality.csv"): Row((401, 403, 403, 400, 400)),
    ("GET", "/api/reports/staffing"): Row((401, 403, 403, 200, 200)),
}


def test_the_table_covers_every_route_of_the_app(floor_routes: set[tuple[str, str]]) -> None:
    """The pages have their own table, walked with cookie sessions (test_page_roles.py)."""
    assert floor_routes == set(TABLE) | set(PAGE_ROLES)
    assert not set(TABLE) & set(PAGE_ROLES)


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
        visit = Request(
            Kind.RETURN_VISIT, "13800000000", Reason(Kind.RETURN_VISIT, at), at, at, owner=job
        )
        opened = await callback_repo.open_callback(floor.pool, visit, at)
        CALLBACK_OF[job] = str(opened.callback.id)


@pytest.mark.parametrize(("method", "path"), sorted(TABLE))
async def test_each_role_gets_exactly_its_routes(floor: Floor, method: str, path: str) -> None:
    await _prepare(floor)
    row = TABLE[(method, path)]
    got = []
    for role in ROLES:
        headers = await _headers(floor, role)
        concrete = (
            path.replace("{job}", ACTS_ON[role])
            .replace("{linkedid}", CALL_OF[ACTS_ON[role]])
            .replace("{day}", "2026-10-01")
            .replace("{year}", "2027")
            .replace("{draft}", "1")
            .replace("{version}", "1")
            .replace("{language}", "zh")
            .replace("{name}", "greeting")
            .replace("{id}", CALLBACK_OF[ACTS_ON[role]])
            .replace("{extension}", "3009")
        )
        response = await floor.client.request(
            method, concrete, headers=headers, json=row.body(role)
        )
        got.append(response.status)
        response.close()  # the stream: its status is all we need
    assert tuple(got) == row.expected, dict(zip(ROLES, got, strict=True))


async def _headers(floor: Floor, role: str) -> dict[str, str]:
    if role == "none":
        return {}
    if role == "admin":
        return await floor.admin_headers()
    return await floor.headers(ACTS_AS[role])
