"""Every API field, path part and query parameter with hostile payloads: a clear 4xx
with a JSON error code (400, or 401/403/404/409 where that is the truth), never a 500."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from tests.e2e.agents import PIN
from tests.web.conftest import ADMIN, AGENT, SUPERVISOR, Floor

MARK = "__HOSTILE__"
DEEP = "[" * 5000 + "]" * 5000

# name -> JSON text of the value
PAYLOADS = {
    "nul": json.dumps("10\u000001"),
    "crlf": json.dumps("a\r\nInjected: 1"),
    "escape": json.dumps("\u001b[31m"),
    "c1_control": json.dumps("a\u0085b"),
    "megabyte": json.dumps("9" * 1_000_000),
    "integer": "1001",
    "float": "1.5",
    "boolean": "true",
    "list": '["1001"]',
    "object": '{"a": 1}',
    "deep": DEEP,
    "cjk": json.dumps("养老保险咨询"),
    "emoji": json.dumps("😀🙂"),
    "empty": '""',
}

NEW_AGENT = {
    "job_number": "1050",
    "name": "新坐席",
    "role": "agent",
    "extension": "2050",
    "pin": "13579",
    "queues": ["12333"],
}
NEW_SUPERVISOR = {
    "job_number": "1051",
    "name": "新主管",
    "role": "supervisor",
    "password": "x" * 12,
}

# (field, who, method, path, body with MARK where the payload goes)
FIELDS = [
    ("job_number", None, "POST", "/api/sessions", {"job_number": MARK, "pin": PIN}),
    ("pin", None, "POST", "/api/sessions", {"job_number": AGENT, "pin": MARK}),
    ("state", AGENT, "POST", f"/api/agents/{AGENT}/state", {"state": MARK}),
    ("reason", AGENT, "POST", f"/api/agents/{AGENT}/state", {"state": "busy", "reason": MARK}),
    ("sign_in_pin", AGENT, "POST", f"/api/agents/{AGENT}/state", {"state": "sign_in", "pin": MARK}),
    ("category", AGENT, "POST", "/api/calls/9.1/wrap-up", {"category": MARK, "summary": "s"}),
    ("summary", AGENT, "POST", "/api/calls/9.1/wrap-up", {"category": "其他", "summary": MARK}),
    (
        "then",
        AGENT,
        "POST",
        "/api/calls/9.1/wrap-up",
        {"category": "其他", "summary": "s", "then": MARK},
    ),
    ("categories", ADMIN, "PUT", "/api/categories", {"categories": MARK}),
    ("a_category", ADMIN, "PUT", "/api/categories", {"categories": [MARK]}),
    ("entries", ADMIN, "PUT", "/api/schedule", {"entries": MARK}),
    ("an_entry", ADMIN, "PUT", "/api/schedule", {"entries": [MARK]}),
    (
        "weekday",
        ADMIN,
        "PUT",
        "/api/schedule",
        {"entries": [{"weekday": MARK, "at": "12:00", "label": "noon_break"}]},
    ),
    (
        "at",
        ADMIN,
        "PUT",
        "/api/schedule",
        {"entries": [{"weekday": 1, "at": MARK, "label": "noon_break"}]},
    ),
    (
        "label",
        ADMIN,
        "PUT",
        "/api/schedule",
        {"entries": [{"weekday": 1, "at": "12:00", "label": MARK}]},
    ),
    ("working", ADMIN, "PUT", "/api/calendar/2026-10-01", {"working": MARK}),
    ("note", ADMIN, "PUT", "/api/calendar/2026-10-01", {"working": True, "note": MARK}),
    ("password", None, "POST", "/api/sessions", {"job_number": ADMIN, "password": MARK}),
    *(
        (f"account_{key}", ADMIN, "POST", "/api/admin/accounts", {**body, key: MARK})
        for body in (NEW_AGENT, NEW_SUPERVISOR)
        for key in body
        if key in {"job_number", "name", "role", "extension", "pin", "queues", "password"}
        and (key != "name" or body is NEW_SUPERVISOR)
    ),
    ("new_pin", ADMIN, "PUT", f"/api/admin/accounts/{AGENT}/pin", {"pin": MARK}),
    (
        "new_password",
        ADMIN,
        "PUT",
        f"/api/admin/accounts/{SUPERVISOR}/password",
        {"password": MARK},
    ),
    ("new_role", ADMIN, "PUT", f"/api/admin/accounts/{AGENT}/role", {"role": MARK}),
    ("disabled", ADMIN, "PUT", f"/api/admin/accounts/{AGENT}/disabled", {"disabled": MARK}),
]

# Where a hostile payload is in fact acceptable input, the truth is not a 400:
TRUTH = {
    # a well-formed PIN that is wrong (a PIN policy may make some of these 400)
    ("pin", "cjk"): {400, 401},
    ("pin", "emoji"): {400, 401},
    ("sign_in_pin", "cjk"): {400, 401},
    ("sign_in_pin", "emoji"): {400, 401},
    # fine text, but no call 9.1 answered by this agent is on record
    ("summary", "cjk"): {409},
    ("summary", "emoji"): {409},
    ("summary", "crlf"): {400, 409},  # CR is refused even in a multi-line summary
    # fine names and notes
    ("a_category", "cjk"): {200},
    ("a_category", "emoji"): {200},
    ("note", "cjk"): {200},
    ("note", "emoji"): {200},
    ("note", "empty"): {200},
    ("categories", "list"): {200},  # ["1001"] is a fine list of one category
    ("working", "boolean"): {200},
    # a well-formed password that is wrong
    ("password", "cjk"): {401},
    ("password", "emoji"): {401},
    # a fine name: the first creates the account, the next finds the job number taken
    ("account_name", "cjk"): {201},
    ("account_name", "emoji"): {409},
    ("disabled", "boolean"): {200},
}


@pytest.mark.parametrize(
    ("field", "who", "method", "path", "body"), FIELDS, ids=[f[0] for f in FIELDS]
)
async def test_hostile_fields(
    floor: Floor, field: str, who: str | None, method: str, path: str, body: dict[str, object]
) -> None:
    headers = await _headers(floor, who)
    headers["Content-Type"] = "application/json"
    wrong = {}
    for payload, value in sorted(PAYLOADS.items()):
        text = json.dumps(body, ensure_ascii=False).replace(json.dumps(MARK), value)
        response = await floor.client.request(method, path, data=text.encode(), headers=headers)
        expected = TRUTH.get((field, payload), {400})
        answer = await response.json()  # JSON even when refused
        if response.status not in expected or (response.status >= 400 and not answer["error"]):
            wrong[payload] = (response.status, str(answer)[:120])
    assert not wrong


async def _headers(floor: Floor, who: str | None) -> dict[str, str]:
    if who is None:
        return {}
    return await (floor.admin_headers() if who == ADMIN else floor.headers(who))


PATH_PAYLOADS = {
    "nul": "10\x0001",
    "crlf": "1\r\n1",
    "escape": "\x1b[31m",
    "cjk": "养老",
    "emoji": "😀",
    "traversal": "../1002",
    "sql": "1001';DROP TABLE agents;--",
    "long": "9" * 4000,
    "negative": "-1",
    "percent": "%",
}

PATHS = [
    ("job", "POST", "/api/agents/{}/state", {"state": "busy"}),
    ("job_audit", "GET", "/api/agents/{}/audit", None),
    ("job_lockout", "DELETE", "/api/agents/{}/lockout", None),
    ("linkedid", "POST", "/api/calls/{}/wrap-up", {"category": "其他", "summary": "s"}),
    ("day", "PUT", "/api/calendar/{}", {"working": True}),
    ("day_delete", "DELETE", "/api/calendar/{}", None),
    ("audit_limit", "GET", f"/api/agents/{AGENT}/audit?limit={{}}", None),
    ("calls_date", "GET", "/api/calls?date={}", None),
    ("calls_number", "GET", "/api/calls?number={}", None),
    ("calls_agent", "GET", "/api/calls?agent={}", None),
    ("account_delete", "DELETE", "/api/admin/accounts/{}", None),
    ("account_audit", "GET", "/api/admin/accounts/{}/audit", None),
    ("account_audit_limit", "GET", f"/api/admin/accounts/{AGENT}/audit?limit={{}}", None),
    ("account_pin", "PUT", "/api/admin/accounts/{}/pin", {"pin": "13579"}),
]


@pytest.mark.parametrize(("part", "method", "template", "body"), PATHS, ids=[p[0] for p in PATHS])
async def test_hostile_path_parts_and_query_parameters(
    floor: Floor, part: str, method: str, template: str, body: dict[str, object] | None
) -> None:
    by_admin = part.startswith(("account", "day"))  # /api/calendar/{day}: admins only
    who = ADMIN if by_admin else SUPERVISOR if part == "job_lockout" else AGENT
    headers = await _headers(floor, who)
    wrong = {}
    for payload, value in sorted(PATH_PAYLOADS.items()):
        url = template.format(quote(value, safe=""))
        response = await floor.client.request(method, url, headers=headers, json=body)
        # "../1002" may decode to a path no route matches: 404 is the truth there
        expected = {400, 404} if payload == "traversal" else {400}
        answer = await response.json()
        if response.status not in expected or not answer["error"]:
            wrong[payload] = (response.status, str(answer)[:120])
    assert not wrong
