"""Case work's pages (``pages/casework.py``): the admin's department numbers, the
console's escalate and transfer forms, my callbacks — each form's bad input at its
field with nothing saved, and its CSRF token required."""

from __future__ import annotations

from datetime import UTC, datetime

from callback import repo as callback_repo
from callback.model import Kind, Reason, Request, State
from calls import repo as calls_repo
from calls.model import CallRecord, HungUp, Outcome, Source
from departments import repo as departments_repo
from departments.model import Draft
from tests.web.conftest import ADMIN, ADMIN_PASSWORD, AGENT, Floor
from tests.web.test_pages import csrf_of, log_in

AT = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


async def admin_log_in(floor: Floor) -> str:
    token = await csrf_of(await floor.client.get("/signin"))
    form = {"job_number": ADMIN, "kind": "password", "secret": ADMIN_PASSWORD, "csrf": token}
    done = await floor.client.post("/signin", data=form, allow_redirects=False)
    assert done.status == 303
    return await csrf_of(await floor.client.get("/admin/departments"))


async def test_an_admin_adds_edits_and_disables_a_department(floor: Floor) -> None:
    csrf = await admin_log_in(floor)
    form = {"name": "社保科", "number": "8888-1234", "csrf": csrf}
    bad = await floor.client.post("/admin/departments", data=form)
    assert bad.status == 400
    page = await bad.text()
    assert 'id="error-new-number" data-code="input.department_number"' in page
    assert 'value="社保科"' in page  # what was typed is kept
    assert await departments_repo.listing(floor.pool) == []  # nothing half-saved
    no_csrf = await floor.client.post(
        "/admin/departments", data={"name": "社保科", "number": "88881234"}
    )
    assert no_csrf.status == 403 and await departments_repo.listing(floor.pool) == []
    good = {**form, "number": "88881234"}
    done = await floor.client.post("/admin/departments", data=good, allow_redirects=False)
    assert done.status == 303
    [made] = await departments_repo.listing(floor.pool)
    assert (made.name, made.number, made.active) == ("社保科", "88881234", True)
    taken = await floor.client.post("/admin/departments", data=good)
    assert taken.status == 409
    assert 'data-code="department.name_taken"' in await taken.text()
    edit = {"name": "社保科", "number": "12", "csrf": csrf}
    refused = await floor.client.post(f"/admin/departments/{made.id}", data=edit)
    assert refused.status == 400
    assert f'id="error-{made.id}-number"' in await refused.text()
    assert (await departments_repo.by_id(floor.pool, made.id)) == made
    edit["number"] = "88885678"
    await floor.client.post(f"/admin/departments/{made.id}", data=edit)
    assert (await departments_repo.by_id(floor.pool, made.id)).number == "88885678"  # type: ignore[union-attr]
    await floor.client.post(f"/admin/departments/{made.id}/disable", data={"csrf": csrf})
    assert not (await departments_repo.by_id(floor.pool, made.id)).active  # type: ignore[union-attr]
    listed = await (await floor.client.get("/admin/departments")).text()
    assert f'id="department-{made.id}" class="disabled"' in listed


async def test_the_departments_api(floor: Floor) -> None:
    headers = await floor.admin_headers()
    api = "/api/admin/departments"
    bad = await floor.client.post(api, headers=headers, json={"name": "x", "number": "1;2"})
    assert bad.status == 400 and (await bad.json())["error"] == "input.department_number"
    made = await floor.client.post(
        api, headers=headers, json={"name": "医保科", "number": "88880000"}
    )
    assert made.status == 201
    body = await made.json()
    off = await floor.client.post(f"{api}/{body['id']}/disable", headers=headers)
    assert (await off.json())["active"] is False
    listed = await (await floor.client.get(api, headers=headers)).json()
    assert listed["departments"] == [{**body, "active": False}]


async def _answered_call(floor: Floor, linkedid: str = "7.1") -> None:
    record = CallRecord(
        linkedid=linkedid,
        caller_number="13800000000",
        caller_name="",
        entry_number="12333",
        entered_at=AT,
        ended_at=AT,
        outcome=Outcome.ANSWERED,
        hung_up_first=HungUp.CALLER,
        source=Source.AMI,
        agent_job_number=AGENT,
        agent_answered_at=AT,
    )
    await calls_repo.insert(floor.pool, record)


async def test_the_console_escalates_the_last_call_with_a_department(floor: Floor) -> None:
    await _answered_call(floor)
    department = await departments_repo.insert(floor.pool, Draft("社保科", "88881234"))
    await log_in(floor)
    console = await floor.client.get("/agent")
    page = await console.text()
    assert 'id="escalate-form"' in page and f'<option value="{department.id}">社保科' in page
    csrf = await csrf_of(console)
    form = {"question": "", "category": "养老保险", "department": "x", "csrf": csrf}
    bad = await floor.client.post("/agent/escalate", data=form)
    assert bad.status == 400
    text = await bad.text()
    assert 'id="error-question" data-code="input.escalation_question"' in text
    assert 'id="error-department" data-code="input.department_choice"' in text
    assert await callback_repo.listing(floor.pool, callback_repo.Filter()) == []
    form = {**form, "question": "退休金何时到账?", "department": str(department.id)}
    del form["csrf"]
    assert (await floor.client.post("/agent/escalate", data=form)).status == 403
    assert await callback_repo.listing(floor.pool, callback_repo.Filter()) == []
    form["csrf"] = csrf
    done = await floor.client.post("/agent/escalate", data=form, allow_redirects=False)
    assert done.status == 303, await done.text()
    [made] = await callback_repo.listing(floor.pool, callback_repo.Filter())
    assert (made.kind, made.owner, made.department) == (Kind.ESCALATION, AGENT, "社保科")
    assert made.question == "退休金何时到账?" and made.category == "养老保险"


async def test_escalating_with_no_call_says_so_at_the_form(floor: Floor) -> None:
    await log_in(floor)
    csrf = await csrf_of(await floor.client.get("/agent"))
    form = {"question": "问题", "category": "养老保险", "csrf": csrf}
    refused = await floor.client.post("/agent/escalate", data=form)
    assert refused.status == 409
    assert 'id="error-call" data-code="callback.not_your_call"' in await refused.text()


async def test_a_transfer_off_a_call_is_refused_at_its_field(floor: Floor) -> None:
    draft = Draft("社保科", "88881234")
    department = await departments_repo.insert(floor.pool, draft)
    await log_in(floor)
    csrf = await csrf_of(await floor.client.get("/agent"))
    form = {"department": str(department.id), "csrf": csrf}
    refused = await floor.client.post("/agent/transfer", data=form)
    assert refused.status == 409
    text = await refused.text()
    assert 'id="error-transfer_department" data-code="department.not_on_call"' in text


async def _return_visit(floor: Floor) -> str:
    visit = Request(
        Kind.RETURN_VISIT, "13800000001", Reason(Kind.RETURN_VISIT, AT), AT, AT, owner=AGENT
    )
    return str((await callback_repo.open_callback(floor.pool, visit, AT)).callback.id)


async def test_my_callbacks_with_the_script_and_the_outcome(floor: Floor) -> None:
    callback_id = await _return_visit(floor)
    await log_in(floor)
    page = await floor.client.get("/agent/callbacks")
    text = await page.text()
    assert f'id="callback-{callback_id}"' in text and "13800000001" in text
    assert f"我是{AGENT}号咨询员" in text  # R12's script with the agent's job number
    csrf = await csrf_of(page)
    url = f"/agent/callbacks/{callback_id}/outcome"
    form = {"outcome": "resolved", "csrf": csrf}
    early = await floor.client.post(url, data=form)  # the citizen not reached yet
    assert early.status == 409
    assert 'id="error-outcome" data-code="callback.illegal_transition"' in await early.text()
    await floor.pool.execute(
        "UPDATE callbacks SET state = 'in_progress', agent = $1 WHERE id = $2::uuid",
        AGENT,
        callback_id,
    )
    form = {"outcome": "follow_up", "note": "再联系", "csrf": csrf}  # no follow-up time
    refused = await floor.client.post(url, data=form)
    assert refused.status == 400
    assert 'id="error-outcome" data-code="input.invalid"' in await refused.text()
    form = {**form, "follow_up_at": "明天"}
    refused = await floor.client.post(url, data=form)
    assert 'id="error-follow_up_at" data-code="input.casework_time"' in await refused.text()
    [still] = await callback_repo.listing(floor.pool, callback_repo.Filter())
    assert still.state is State.IN_PROGRESS and still.outcome is None
    done = await floor.client.post(
        url, data={"outcome": "resolved", "csrf": csrf}, allow_redirects=False
    )
    assert done.status == 303
    [closed] = await callback_repo.listing(floor.pool, callback_repo.Filter())
    assert closed.state is State.DONE
    assert 'id="no-callbacks"' in await (await floor.client.get("/agent/callbacks")).text()


async def test_a_callback_without_voicemail_has_no_recording(floor: Floor) -> None:
    callback_id = await _return_visit(floor)
    await log_in(floor)
    response = await floor.client.get(f"/agent/callbacks/{callback_id}/recording")
    assert response.status == 404
