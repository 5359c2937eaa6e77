"""The admin's dial-plan editor, prompts, schedule and calendar, categories pages through
aiohttp's test client on a real PostgreSQL: each form's success, its bad input shown at
the field (for the dial plan: at the node) with nothing saved, and CSRF."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp import ClientResponse, FormData

from core.actor import Actor, Role
from dialplan.service import DialPlanService
from pages import guard
from tests.dialplan_fakes import SHIPPED_PROMPTS, FakePrompts, FakePublisher
from tests.web.conftest import ADMIN, Floor
from web.app import DIALPLAN
from web.sessions import Sessions

DRAFT = re.compile(r"/admin/dialplan/drafts/([0-9]+)")


class Admin:
    """An admin's cookie session on the floor: every post carries its CSRF token."""

    def __init__(self, floor: Floor, token: str) -> None:
        self.floor = floor
        self.headers = {"Cookie": f"{guard.SESSION_COOKIE}={token}"}
        self.csrf = guard.csrf_for(token)

    async def get(self, path: str) -> ClientResponse:
        return await self.floor.client.get(path, headers=self.headers, allow_redirects=False)

    async def post(self, path: str, form: Any, *, csrf: bool = True) -> ClientResponse:
        if isinstance(form, dict):
            form = {**form, "csrf": self.csrf} if csrf else form
        return await self.floor.client.post(
            path, data=form, headers=self.headers, allow_redirects=False
        )


async def admin_of(floor: Floor) -> Admin:
    floor.client.session.cookie_jar.clear()
    return Admin(floor, await Sessions(floor.pool).create(Actor(ADMIN, Role.ADMIN)))


async def new_draft(admin: Admin, name: str = "草稿 一") -> int:
    made = await admin.post("/admin/dialplan/drafts", {"name": name, "from_version": ""})
    assert made.status == 303, await made.text()
    found = DRAFT.fullmatch(made.headers["Location"])
    assert found
    return int(found.group(1))


async def draft_plan(floor: Floor, draft: int) -> dict[str, Any]:
    return dict((await _service(floor).draft(draft)).plan)


def _service(floor: Floor) -> DialPlanService:
    return floor.app[DIALPLAN]


@pytest.fixture
def publisher(floor: Floor) -> FakePublisher:
    """Asterisk's side played by a recorder (as in test_dialplan_api.py); the shipped
    plan's prompts, which a draft starts from, taken as recorded."""
    recorder = FakePublisher()
    _service(floor).publisher = recorder
    _service(floor).prompts = FakePrompts(SHIPPED_PROMPTS)
    return recorder


def node_section(page: str, node: str) -> str:
    """The part of the draft page that is node ``node``'s card."""
    start = page.index(f'id="node-{node}"')
    end = page.find('<section class="card node', start + 1)
    return page[start : end if end > 0 else len(page)]


async def test_a_new_draft_is_the_default_plan_shown_as_a_tree_with_a_form_per_node(
    floor: Floor,
) -> None:
    admin = await admin_of(floor)
    draft = await new_draft(admin)
    page = await (await admin.get(f"/admin/dialplan/drafts/{draft}")).text()
    rows = re.findall(r'class="row[^"]*" style="--depth: (\d+)" data-node="([a-z_]+)"', page)
    # the floor's working hours are "always": no time switch
    assert rows[:3] == [("0", "greeting"), ("1", "holiday_greeting"), ("2", "queue")]
    assert 'id="f-greeting-next" name="next" value="holiday_greeting"' in page
    assert "播放" in page and "排队转人工" in page
    index = await (await admin.get("/admin/dialplan")).text()
    assert f'href="/admin/dialplan/drafts/{draft}"' in index


async def test_a_malformed_field_is_refused_at_its_node_and_nothing_is_saved(
    floor: Floor,
) -> None:
    admin = await admin_of(floor)
    draft = await new_draft(admin)
    before = await draft_plan(floor, draft)
    form = {"revision": "1", "prompt": "greeting", "next": "Not An Id"}
    refused = await admin.post(f"/admin/dialplan/drafts/{draft}/nodes/greeting", form)
    assert refused.status == 400
    page = await refused.text()
    assert 'id="error-greeting-next" data-code="dialplan.invalid"' in page
    assert 'value="Not An Id"' in node_section(page, "greeting")  # what was typed stays
    assert await draft_plan(floor, draft) == before
    menu = {"revision": "1", "prompt": "greeting", "choices": "1 queue", "after_retries": "queue"}
    added = await admin.post(
        f"/admin/dialplan/drafts/{draft}/nodes", {"revision": "1", "id": "main", "kind": "menu"}
    )
    assert added.status == 303
    bad_pairs = await admin.post(f"/admin/dialplan/drafts/{draft}/nodes/main", menu)
    assert bad_pairs.status == 400
    assert 'id="error-main-choices"' in await bad_pairs.text()


async def test_the_validators_problems_are_shown_at_their_node_and_block_publishing(
    floor: Floor,
) -> None:
    admin = await admin_of(floor)
    draft = await new_draft(admin)
    form = {"revision": "1", "prompt": "greeting", "next": "nowhere"}
    saved = await admin.post(f"/admin/dialplan/drafts/{draft}/nodes/greeting", form)
    assert saved.status == 303
    page = await (await admin.get(f"/admin/dialplan/drafts/{draft}")).text()
    assert 'data-code="dangling_node"' in node_section(page, "greeting")
    assert 'data-code="dangling_node"' not in node_section(page, "queue")
    refused = await admin.post(f"/admin/dialplan/drafts/{draft}/publish", {})
    assert refused.status == 422
    assert 'id="error-publish-" data-code="dialplan.problems"' in await refused.text()
    assert await _service(floor).history() == []
    stale = await admin.post(f"/admin/dialplan/drafts/{draft}/nodes/greeting", form)
    assert stale.status == 409  # revision 1 was edited meanwhile (now 2): not overwritten
    assert 'data-code="dialplan.draft_changed"' in node_section(await stale.text(), "greeting")


async def test_adding_removing_simulating_publishing_diff_and_rollback(
    floor: Floor, publisher: FakePublisher
) -> None:
    admin = await admin_of(floor)
    draft = await new_draft(admin)
    base = f"/admin/dialplan/drafts/{draft}"
    add = {"revision": "1", "id": "main", "kind": "menu", "then": "after_hours"}
    assert (await admin.post(f"{base}/nodes", add)).status == 303
    taken = await admin.post(f"{base}/nodes", {**add, "revision": "2"})
    assert taken.status == 400 and 'id="error-new-id"' in await taken.text()
    greeting = {"revision": "2", "prompt": "greeting", "next": "main"}
    assert (await admin.post(f"{base}/nodes/greeting", greeting)).status == 303
    assert (await draft_plan(floor, draft))["nodes"][-1]["choices"] == {"1": "after_hours"}
    walk = await (await admin.get(f"{base}?keys=1&at=2026-10-08T10%3A00&agents=on")).text()
    steps = re.findall(r'<li data-node="([a-z_]+)">', walk)
    assert steps == ["greeting", "main", "after_hours", "voicemail"]
    bad_keys = await admin.get(f"{base}?keys=12a&at=2026-10-08T10%3A00")
    assert bad_keys.status == 400 and 'id="error-simulate-keys"' in await bad_keys.text()

    # greeting → main cut the holiday greeting, the queue and "all busy" off: key 2 to them
    menu = {"revision": "3", "prompt": "greeting", "after_retries": "after_hours"}
    reach = {**menu, "choices": "1=after_hours\n2=holiday_greeting"}
    assert (await admin.post(f"{base}/nodes/main", reach)).status == 303
    assert (await admin.post(f"{base}/publish", {})).status == 303
    assert publisher.handed == [(1, 0)]
    second = await new_draft(admin, "草稿 二")
    removed = await admin.post(
        f"/admin/dialplan/drafts/{second}/nodes/all_busy/remove", {"revision": "1"}
    )
    assert removed.status == 303
    assert (await admin.post(f"/admin/dialplan/drafts/{second}/publish", {})).status == 422
    assert [v.version for v in await _service(floor).history()] == [1]
    assert (await admin.post(f"{base}/publish", {})).status == 303  # version 2
    diff = await (await admin.get("/admin/dialplan?from=1&to=2")).text()
    assert 'id="diff-result"' in diff
    assert (await admin.post("/admin/dialplan/versions/1/rollback", {})).status == 303
    index = await (await admin.get("/admin/dialplan")).text()
    assert 'data-version="3" data-state="live"' in index
    assert 'data-version="1" data-state="previous"' in index
    assert [handed[0] for handed in publisher.handed] == [1, 2, 3]


async def test_dial_plan_forms_need_their_csrf_token(floor: Floor) -> None:
    admin = await admin_of(floor)
    draft = await new_draft(admin)
    form = {"revision": "1", "prompt": "greeting", "next": "nowhere"}
    refused = await admin.post(f"/admin/dialplan/drafts/{draft}/nodes/greeting", form, csrf=False)
    assert refused.status == 403
    assert (await draft_plan(floor, draft))["nodes"][0]["next"] == "holiday_greeting"
    made = await admin.post("/admin/dialplan/drafts", {"name": "x"}, csrf=False)
    assert made.status == 403 and len(await _service(floor).drafts()) == 1


async def test_categories_bad_input_at_the_field_then_saved(floor: Floor) -> None:
    admin = await admin_of(floor)
    before = await floor.pool.fetchval("SELECT count(*) FROM call_categories")
    twice = await admin.post("/admin/categories", {"categories": "养老\n养老"})
    assert twice.status == 400
    assert 'id="error-categories" data-code="input.invalid"' in await twice.text()
    assert await floor.pool.fetchval("SELECT count(*) FROM call_categories") == before
    assert (await admin.post("/admin/categories", {"categories": "养老"}, csrf=False)).status == 403
    saved = await admin.post("/admin/categories", {"categories": "社会保障卡\n养老保险\n"})
    assert saved.status == 303
    page = await (await admin.get("/admin/categories")).text()
    assert "<li>社会保障卡</li><li>养老保险</li>" in page


async def test_the_schedule_and_the_calendar_bad_input_at_the_field_then_saved(
    floor: Floor,
) -> None:
    admin = await admin_of(floor)
    rows = {"weekday_0": "1", "at_0": "12:00", "label_0": "noon_break"}
    shipped = await floor.pool.fetch("SELECT * FROM sign_out_schedule ORDER BY weekday, at")
    bad = await admin.post("/admin/schedule", {**rows, "weekday_1": "2", "at_1": "noon"})
    assert bad.status == 400 and 'id="error-schedule-row1"' in await bad.text()
    assert await floor.pool.fetch("SELECT * FROM sign_out_schedule ORDER BY weekday, at") == shipped
    assert (await admin.post("/admin/schedule", rows)).status == 303
    assert await floor.pool.fetchval("SELECT count(*) FROM sign_out_schedule") == 1

    bad_day = await admin.post("/admin/calendar/override", {"day": "2026-13-01", "kind": "rest"})
    assert bad_day.status == 400 and 'id="error-override-day"' in await bad_day.text()
    holiday = {"day": "2026-10-12", "kind": "holiday", "holiday": "national_day", "note": "值班"}
    assert (await admin.post("/admin/calendar/override", holiday)).status == 303
    page = await (await admin.get("/admin/schedule?from=2026-10-10")).text()
    assert 'data-day="2026-10-12" data-kind="holiday"' in page
    assert (await admin.post("/admin/calendar/override/clear", {"day": "2026-10-12"})).status == 303
    notice = {
        "year": "2027",
        "holidays": "2027-02-05 2027-02-11 spring_festival",
        "make_up_days": "2027-02-10",
    }
    wrong = await admin.post("/admin/calendar/notice", notice)
    assert wrong.status == 400 and 'id="error-notice-make_up_days"' in await wrong.text()
    assert await floor.pool.fetchval("SELECT count(*) FROM calendar_notices") == 0


async def test_prompts_bad_input_at_the_field_and_listening_under_the_cookie(
    floor: Floor,
) -> None:
    admin = await admin_of(floor)
    page = await admin.get("/admin/prompts")
    assert page.status == 200
    bad_name = await admin.post(
        "/admin/prompts/generate", {"language": "zh", "name": "Bad Name", "text": "您好"}
    )
    assert bad_name.status == 400
    assert 'id="error-generate-name" data-code="input.prompt_name"' in await bad_name.text()
    form = FormData()
    form.add_field("csrf", admin.csrf)
    form.add_field("language", "zh")
    form.add_field("name", "t-not-audio")
    form.add_field("file", b"this is not audio at all" * 10, filename="x.wav")
    not_audio = await admin.post("/admin/prompts/upload", form)
    assert not_audio.status == 400
    assert 'id="error-upload-file" data-code="input.prompt_type"' in await not_audio.text()
    assert (await admin.get("/admin/prompts/zh/t-not-audio/audio")).status == 404
    greeting = await admin.get("/admin/prompts/zh/greeting/audio")
    assert greeting.status == 200 and greeting.content_type == "audio/wav"
