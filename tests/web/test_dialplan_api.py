"""The dial-plan admin API on a real PostgreSQL, Asterisk's side played by a publisher
that records what it was handed and fails when told to (tier 3 publishes for real)."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import quote

import pytest

from dialplan.views import PREFIX
from tests.dialplan_fakes import (
    FakePrompts,
    FakePublisher,
    broken_plan,
    good_plan,
)
from tests.web.conftest import Floor
from web.app import DIALPLAN
from web.openapi import document

Json = dict[str, Any]


@pytest.fixture
async def admin(floor: Floor) -> AsyncIterator[Admin]:
    publisher = FakePublisher()
    floor.app[DIALPLAN].publisher = publisher
    floor.app[DIALPLAN].prompts = FakePrompts()
    yield Admin(floor, await floor.admin_headers(), publisher)


class Admin:
    def __init__(self, floor: Floor, headers: dict[str, str], publisher: FakePublisher) -> None:
        self.floor, self.headers, self.publisher = floor, headers, publisher

    async def call(self, method: str, path: str, body: Any = None, status: int = 200) -> Json:
        response = await self.floor.client.request(
            method, PREFIX + path, headers=self.headers, json=body
        )
        answer: Json = await response.json()
        assert response.status == status, answer
        return answer

    async def draft(self, name: str = "工作日", plan: Json | None = None) -> int:
        body = {"name": name, "plan": plan or good_plan()}
        draft_id: int = (await self.call("POST", "/drafts", body, 201))["id"]
        return draft_id


async def test_an_admin_edits_validates_simulates_publishes_diffs_and_rolls_back(
    admin: Admin,
) -> None:
    one = await admin.draft()
    assert (await admin.call("GET", f"/drafts/{one}"))["plan"]["start"] == "greeting"
    edited = await admin.call(
        "PUT", f"/drafts/{one}", {"plan": good_plan("goodbye"), "revision": 1}
    )
    assert (edited["revision"], edited["edited_by"]) == (2, "1099")
    await admin.call("PUT", f"/drafts/{one}", {"plan": good_plan(), "revision": 1}, 409)
    checked = await admin.call("POST", f"/drafts/{one}/validate")
    assert checked == {"publishable": True, "problems": []}
    walk = await admin.call(
        "POST", f"/drafts/{one}/simulate", {"keys": "1#", "at": "2026-10-01T09:30"}
    )
    assert [step["node"] for step in walk["steps"]] == ["greeting", "main", "agents"]
    assert walk["ends"] == "queue"
    v1 = await admin.call("POST", f"/drafts/{one}/publish", status=201)
    assert (v1["version"], v1["state"], v1["draft_name"]) == (1, "live", "工作日")
    two = await admin.draft("节假日", good_plan())
    v2 = await admin.call("POST", f"/drafts/{two}/publish", status=201)
    assert v2["version"] == 2
    diff = await admin.call("GET", "/diff?from=1&to=2")
    assert diff["nodes"]["changed"] == [
        {"node": "greeting", "fields": [{"field": "prompt", "from": "goodbye", "to": "welcome"}]}
    ]
    back = await admin.call("POST", "/versions/1/rollback", status=201)
    assert (back["version"], back["rollback_of"], back["state"]) == (3, 1, "live")
    assert back["plan"] == v1["plan"]
    listed = await admin.call("GET", "/versions")
    assert [(v["version"], v["state"]) for v in listed["versions"]] == [
        (3, "live"),
        (2, "previous"),
        (1, "previous"),
    ]
    assert admin.publisher.handed == [(1, 0), (2, 1), (3, 2, 1)]
    walk = await admin.call("POST", "/versions/1/simulate", {"keys": "", "at": "2026-10-01T20:00"})
    assert walk["node"]
    audit = await admin.call("GET", "/audit?limit=3")
    assert [(a["action"], a["version"]) for a in audit["audit"]] == [
        ("rolled_back", 3),
        ("published", 2),
        ("draft_created", None),
    ]
    await admin.call("DELETE", f"/drafts/{two}")
    assert [d["name"] for d in (await admin.call("GET", "/drafts"))["drafts"]] == ["工作日"]


async def test_a_publish_asterisk_refuses_is_a_502_and_the_live_version_stays(
    admin: Admin,
) -> None:
    draft = await admin.draft()
    await admin.call("POST", f"/drafts/{draft}/publish", status=201)
    admin.publisher.fail_with = "the reload left 3 of 4 contexts"
    refused = await admin.call("POST", f"/drafts/{draft}/publish", status=502)
    assert refused["error"] == "dialplan.publish_failed"
    assert "3 of 4 contexts" in refused["message"] and refused["version"] == 2
    failed = await admin.call("GET", "/versions/2")
    assert (failed["state"], "3 of 4" in failed["error"]) == ("failed", True)
    assert (await admin.call("GET", "/versions/1"))["state"] == "live"
    await admin.call("POST", "/versions/2/rollback", status=409)


async def test_a_plan_that_would_break_calls_is_a_422_with_every_problem(admin: Admin) -> None:
    draft = await admin.draft("坏", broken_plan())
    validation = await admin.call("POST", f"/drafts/{draft}/validate")
    assert not validation["publishable"] and validation["problems"][0]["node"] == "main"
    refused = await admin.call("POST", f"/drafts/{draft}/publish", status=422)
    assert refused["error"] == "dialplan.problems"
    assert refused["problems"] == validation["problems"]
    assert (await admin.call("GET", "/versions"))["versions"] == []
    assert admin.publisher.releases == []


async def test_a_warning_is_shown_but_does_not_stop_a_publish(admin: Admin) -> None:
    # the library lacks R8's prompts: callers would hear the job number incompletely
    admin.floor.app[DIALPLAN].prompts = FakePrompts(
        frozenset({"welcome", "menu-main", "voicemail-intro", "goodbye"})
    )
    draft = await admin.draft()
    validation = await admin.call("POST", f"/drafts/{draft}/validate")
    assert validation["publishable"] is True
    assert [(p["code"], p["severity"]) for p in validation["problems"]] == [
        ("missing_agent_greeting_prompt", "warning")
    ]
    published = await admin.call("POST", f"/drafts/{draft}/publish", status=201)
    assert published["state"] == "live"


async def test_unknown_drafts_and_versions_are_404(admin: Admin) -> None:
    for method, path in (
        ("GET", "/drafts/99"),
        ("POST", "/drafts/99/publish"),
        ("GET", "/versions/99"),
        ("POST", "/versions/99/rollback"),
        ("GET", "/diff?from=1&to=2"),
    ):
        assert (await admin.call(method, path, status=404))["error"] == "not_found"


async def test_only_an_admin_reaches_the_dial_plans(floor: Floor) -> None:
    supervisor = await floor.headers("1009")
    for method, path in (("GET", "/drafts"), ("POST", "/drafts"), ("GET", "/versions")):
        response = await floor.client.request(
            method, PREFIX + path, headers=supervisor, json={"name": "x", "plan": good_plan()}
        )
        assert response.status == 403, path


# ---- malformed bodies: a 400 naming the field --------------------------------------------

MALFORMED: list[tuple[str, Any, str]] = [
    ("not an object", ["plan"], "JSON object"),
    ("no plan", {"name": "一"}, "plan must be"),
    ("plan not an object", {"name": "一", "plan": "x"}, "plan must be"),
    ("no name", {"plan": good_plan()}, "name"),
    ("name a number", {"name": 7, "plan": good_plan()}, "name"),
    ("unknown field", {"name": "一", "plan": good_plan(), "extra": 1}, "extra"),
    ("no entry numbers", {"name": "一", "plan": {**good_plan(), "entry_numbers": []}}, "entry"),
    ("no nodes", {"name": "一", "plan": {**good_plan(), "nodes": []}}, "nodes"),
    ("timeout a string", None, "timeout_s"),
    ("unknown kind", None, "kind"),
]


def _malformed_plan(case: str) -> Json:
    plan = good_plan()
    if case == "timeout a string":
        plan["nodes"][1]["timeout_s"] = "5"
    else:
        plan["nodes"][0]["kind"] = "dance"
    return {"name": "一", "plan": plan}


@pytest.mark.parametrize(("case", "body", "named"), MALFORMED, ids=[m[0] for m in MALFORMED])
async def test_malformed_drafts_are_a_400_naming_the_field(
    admin: Admin, case: str, body: Any, named: str
) -> None:
    answer = await admin.call("POST", "/drafts", body or _malformed_plan(case), 400)
    assert answer["error"] in {"dialplan.invalid", "input.invalid"}
    assert named in answer["message"]
    assert case == "not an object" or answer.get("field"), answer


# ---- asterisk.md §5: every payload in every text field is refused ------------------------

PAYLOADS = {
    "newline": "a\nb",
    "crlf": "a\r\n[evil]",
    "semicolon": "a;b",
    "comma": "a,b",
    "shell": "${SHELL(echo pwned-$(id -u))}",
    "expression": "$[1+1]",
    "include": "#include /etc/passwd",
    "exec": "#exec /bin/id",
    "bracket": "[evil]",
    "pattern": "_X.",
    "slash": "1/2",
    "double_quote": 'a"b',
    "single_quote": "a'b",
    "backslash": "a\\b",
    "arrow": "s=>1",
    "long": "a" * 1001,
    "nul": "a\x00b",
    "emoji": "😀",
}

Put = Callable[[Json, str], None]


def _node(index: int, key: str) -> Put:
    def put(plan: Json, value: str) -> None:
        plan["nodes"][index][key] = value

    return put


def _add_node(node: Json, key: str) -> Put:
    def put(plan: Json, value: str) -> None:
        plan["nodes"].append({**node, key: value})

    return put


def _rekey(index: int, mapping: str, old: str) -> Put:
    def put(plan: Json, value: str) -> None:
        node = plan["nodes"][index]
        node[mapping] = {value if k == old else k: v for k, v in node[mapping].items()}

    return put


TRANSFER = {"kind": "transfer", "id": "dept", "department": "社保科", "number": "80001234"}
SWITCH = {
    "kind": "time_switch",
    "id": "hours",
    "hours": {"mon": [["08:00", "18:00"]]},
    "open": "agents",
    "closed": "leave_message",
}
GREETINGS = {"kind": "holiday_greeting", "id": "wish", "greetings": {}, "next": "main"}


def _set(key: str) -> Put:
    def put(plan: Json, value: str) -> None:
        plan[key] = value

    return put


def _entry(plan: Json, value: str) -> None:
    plan["entry_numbers"] = [value]


def _hours(plan: Json, value: str) -> None:
    plan["nodes"].append({**SWITCH, "hours": {"mon": [[value, "18:00"]]}})


def _greeting(plan: Json, value: str) -> None:
    plan["nodes"].append({**GREETINGS, "greetings": {"spring_festival": value}})


def _greeting_key(plan: Json, value: str) -> None:
    plan["nodes"].append({**GREETINGS, "greetings": {value: "welcome"}})


def _weekday(plan: Json, value: str) -> None:
    plan["nodes"].append({**SWITCH, "hours": {value: [["08:00", "18:00"]]}})


# every text field of a plan: where the payload goes
PLAN_FIELDS: dict[str, Put] = {
    "plan.name": _set("name"),
    "plan.start": _set("start"),
    "plan.entry_numbers": _entry,
    "node.id": _node(0, "id"),
    "node.kind": _node(0, "kind"),
    "play.prompt": _node(0, "prompt"),
    "play.next": _node(0, "next"),
    "menu.prompt": _node(1, "prompt"),
    "menu.choice_digit": _rekey(1, "choices", "1"),
    "menu.choice_target": lambda plan, v: plan["nodes"][1]["choices"].update({"1": v}),
    "menu.after_retries": _node(1, "after_retries"),
    "menu.invalid_prompt": _node(1, "invalid_prompt"),
    "menu.timeout_prompt": _node(1, "timeout_prompt"),
    "queue.queue": _node(2, "queue"),
    "queue.when_nobody": _node(2, "when_nobody"),
    "queue.on_max_wait": _node(2, "on_max_wait"),
    "queue.keep_place_digit": _node(2, "keep_place_digit"),
    "queue.keep_place": _node(2, "keep_place"),
    "voicemail.prompt": _node(3, "prompt"),
    "language.language": _add_node({"kind": "language", "id": "lang", "next": "main"}, "language"),
    "language.next": _add_node({"kind": "language", "id": "lang", "language": "ug"}, "next"),
    "transfer.department": _add_node(TRANSFER, "department"),
    "transfer.number": _add_node(TRANSFER, "number"),
    "transfer.on_failure": _add_node(TRANSFER, "on_failure"),
    "time_switch.weekday": _weekday,
    "time_switch.hours": _hours,
    "time_switch.open": _add_node(SWITCH, "open"),
    "time_switch.closed": _add_node(SWITCH, "closed"),
    "time_switch.holiday": _add_node(SWITCH, "holiday"),
    "time_switch.make_up_day": _add_node(SWITCH, "make_up_day"),
    "holiday_greeting.key": _greeting_key,
    "holiday_greeting.prompt": _greeting,
    "holiday_greeting.next": _add_node(GREETINGS, "next"),
    "hang_up.prompt": _add_node({"kind": "hang_up", "id": "bye"}, "prompt"),
}


def test_the_good_plan_with_each_field_set_sanely_is_accepted() -> None:
    """The table's positions are real fields: a harmless value there parses."""
    from dialplan.service import read_plan

    sane = {
        "plan.name": "新名",
        "plan.entry_numbers": "12345",
        "node.kind": "play",
        "menu.choice_digit": "9",
        "queue.queue": "12333",
        "queue.keep_place_digit": "1",
        "language.language": "kk",
        "transfer.department": "医保科",
        "transfer.number": "80005678",
        "time_switch.weekday": "tue",
        "time_switch.hours": "07:00",
        "time_switch.make_up_day": "sat",
        "holiday_greeting.key": "national_day",
    }
    for field, put in PLAN_FIELDS.items():
        plan = copy.deepcopy(good_plan())
        value = sane.get(field, "greeting" if field != "plan.start" else "main")
        put(plan, value)
        read_plan(plan)  # raises if the position is not a real field


@pytest.mark.parametrize("field", sorted(PLAN_FIELDS))
async def test_every_hostile_payload_in_every_plan_field_is_a_400(admin: Admin, field: str) -> None:
    draft = await admin.draft()
    wrong = {}
    for name, value in PAYLOADS.items():
        plan = copy.deepcopy(good_plan())
        PLAN_FIELDS[field](plan, value)
        for method, path, body in (
            ("POST", "/drafts", {"name": "新", "plan": plan}),
            ("PUT", f"/drafts/{draft}", {"plan": plan}),
        ):
            response = await admin.floor.client.request(
                method, PREFIX + path, headers=admin.headers, data=json.dumps(body)
            )
            answer = await response.json()
            if response.status != 400 or answer["error"] != "dialplan.invalid":
                wrong[(name, method)] = (response.status, str(answer)[:100])
    assert not wrong
    assert (await admin.call("GET", f"/drafts/{draft}"))["revision"] == 1


# other text fields: (label, method, path, body with MARK)
MARK = "__HOSTILE__"
OTHER_FIELDS = [
    ("draft.name", "POST", "/drafts", {"name": MARK, "plan": "PLAN"}),
    ("draft.rename", "PUT", "/drafts/DRAFT", {"name": MARK, "plan": "PLAN"}),
    ("simulate.keys", "POST", "/drafts/DRAFT/simulate", {"keys": MARK, "at": "2026-10-01T09:00"}),
    ("simulate.at", "POST", "/drafts/DRAFT/simulate", {"keys": "1", "at": MARK}),
    ("simulate.field", "POST", "/drafts/DRAFT/simulate", {MARK: "1", "at": "2026-10-01T09:00"}),
]


@pytest.mark.parametrize(
    ("label", "method", "path", "body"), OTHER_FIELDS, ids=[f[0] for f in OTHER_FIELDS]
)
async def test_every_hostile_payload_in_other_fields_is_a_400(
    admin: Admin, label: str, method: str, path: str, body: Json
) -> None:
    draft = await admin.draft()
    wrong = {}
    for name, value in PAYLOADS.items():
        text = json.dumps(body).replace(json.dumps(MARK), json.dumps(value))
        text = text.replace('"PLAN"', json.dumps(good_plan()))
        response = await admin.floor.client.request(
            method,
            PREFIX + path.replace("DRAFT", str(draft)),
            headers=admin.headers,
            data=text,
        )
        answer = await response.json()
        if response.status != 400 or not answer["error"]:
            wrong[name] = (response.status, str(answer)[:100])
    assert not wrong


PATH_PARTS = [
    ("draft", "GET", "/drafts/{}"),
    ("draft_publish", "POST", "/drafts/{}/publish"),
    ("version", "GET", "/versions/{}"),
    ("version_rollback", "POST", "/versions/{}/rollback"),
    ("diff_from", "GET", "/diff?to=1&from={}"),
    ("diff_to", "GET", "/diff?from=1&to={}"),
    ("versions_limit", "GET", "/versions?limit={}"),
    ("audit_limit", "GET", "/audit?limit={}"),
]


@pytest.mark.parametrize(("part", "method", "template"), PATH_PARTS, ids=[p[0] for p in PATH_PARTS])
async def test_every_hostile_payload_in_path_parts_and_parameters_is_a_400(
    admin: Admin, part: str, method: str, template: str
) -> None:
    wrong = {}
    for name, value in PAYLOADS.items():
        url = PREFIX + template.format(quote(value, safe=""))
        response = await admin.floor.client.request(method, url, headers=admin.headers)
        answer = await response.json()
        # in a path, "/" and braces cannot match a route's {part}: no route, 404 there
        in_path = "?" not in template
        expected = {400, 404} if in_path and set(value) & set("/{}") else {400}
        if response.status not in expected or not answer["error"]:
            wrong[name] = (response.status, str(answer)[:100])
    assert not wrong


# ---- the OpenAPI document -----------------------------------------------------------------


async def test_every_admin_route_is_in_the_openapi_document(floor: Floor) -> None:
    response = await floor.client.get("/api/openapi.json", headers=await floor.admin_headers())
    assert response.status == 200
    served = await response.json()
    assert served["openapi"] == "3.1.0"
    routes = {
        (r.method.lower(), r.resource.canonical)
        for r in floor.app.router.routes()
        if r.resource is not None
        and r.resource.canonical.startswith("/api/admin/")
        and r.method != "HEAD"
    }
    described = {
        (method, path)
        for path, item in served["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert routes, "no admin routes registered"
    assert routes <= described, sorted(routes - described)
    assert served == json.loads(json.dumps(document()))


def test_the_document_refers_only_to_schemas_it_defines() -> None:
    doc = document()
    refs = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if "$ref" in value:
                refs.add(value["$ref"].rsplit("/", 1)[-1])
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(doc["paths"])
    walk(doc["components"])
    assert refs <= set(doc["components"]["schemas"])
    for item in doc["paths"].values():
        for method, op in item.items():
            if method != "parameters":
                assert op["responses"] and op["summary"], (method, op)
