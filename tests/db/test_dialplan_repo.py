"""Dial-plan drafts, versions, publish records, rollback and audit on a real PostgreSQL
(``DialPlanService`` with a publisher that records what it was handed)."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import pytest

from core.actor import Actor, Role
from core.errors import Forbidden
from dialplan import repo
from dialplan.assembly import live_files
from dialplan.publish import PublishFailed
from dialplan.service import PlanProblems, VersionNotPublishable
from dialplan.versions import Action, VersionState
from tests.dialplan_fakes import FakePublisher, broken_plan, good_plan, make_service

ADMIN = Actor("1099", Role.ADMIN)
OTHER_ADMIN = Actor("1098", Role.ADMIN)


async def _actions(pool: asyncpg.Pool) -> list[tuple[str, int | None]]:
    entries = await repo.audit_entries(pool, 100)
    return [(e.action.value, e.version) for e in reversed(entries)]


async def test_drafts_are_created_edited_by_revision_and_deleted_with_an_audit(
    pool: asyncpg.Pool,
) -> None:
    service = make_service(pool, FakePublisher())
    draft = await service.create_draft(ADMIN, "工作日", good_plan())
    assert (draft.name, draft.revision, draft.created_by) == ("工作日", 1, "1099")
    edited = await service.update_draft(OTHER_ADMIN, draft.id, "节假日", good_plan("goodbye"), 1)
    assert (edited.name, edited.revision, edited.edited_by) == ("节假日", 2, "1098")
    assert edited.plan["nodes"][0]["prompt"] == "goodbye"
    with pytest.raises(repo.DraftChanged):  # someone edited revision 1 meanwhile
        await service.update_draft(ADMIN, draft.id, None, good_plan(), 1)
    await service.create_draft(ADMIN, "另一个", good_plan())
    with pytest.raises(repo.DraftNameTaken):
        await service.create_draft(ADMIN, "另一个", good_plan())
    await service.delete_draft(ADMIN, draft.id)
    assert [d.name for d in await service.drafts()] == ["另一个"]
    assert await _actions(pool) == [
        ("draft_created", None),
        ("draft_updated", None),
        ("draft_created", None),
        ("draft_deleted", None),
    ]


async def test_only_an_admin_changes_drafts_or_publishes(pool: asyncpg.Pool) -> None:
    service = make_service(pool, FakePublisher())
    draft = await service.create_draft(ADMIN, "工作日", good_plan())
    supervisor = Actor("1009", Role.SUPERVISOR)
    with pytest.raises(Forbidden):
        await service.create_draft(supervisor, "x", good_plan())
    with pytest.raises(Forbidden):
        await service.publish(draft.id, supervisor)
    with pytest.raises(Forbidden):
        await service.rollback(1, supervisor)


async def test_publishing_records_the_version_live_and_hands_the_kept_ones_to_asterisk(
    pool: asyncpg.Pool,
) -> None:
    publisher = FakePublisher()
    service = make_service(pool, publisher, keep=2)
    first = await service.create_draft(ADMIN, "一", good_plan())
    v1 = await service.publish(first.id, ADMIN)
    assert (v1.version, v1.state, v1.published_by, v1.draft_name) == (
        1,
        VersionState.LIVE,
        "1099",
        "一",
    )
    assert v1.text_hash is not None and len(v1.text_hash) == 64
    second = await service.create_draft(ADMIN, "二", good_plan("goodbye"))
    for _ in range(3):
        await service.publish(second.id, ADMIN)
    states = {v.version: v.state for v in await service.history()}
    assert states == {
        4: VersionState.LIVE,
        3: VersionState.PREVIOUS,
        2: VersionState.PREVIOUS,
        1: VersionState.PREVIOUS,
    }
    # the default plan (0) while nothing was live, then the live one and the newest 2
    assert publisher.handed == [(1, 0), (2, 1), (3, 2, 1), (4, 3, 2)]
    _, entry, _ = publisher.releases[-1]
    assert "12333" in entry
    assert await _actions(pool) == [
        ("draft_created", None),
        ("published", 1),
        ("draft_created", None),
        ("published", 2),
        ("published", 3),
        ("published", 4),
    ]


async def test_exactly_one_version_is_live(pool: asyncpg.Pool) -> None:
    service = make_service(pool, FakePublisher())
    draft = await service.create_draft(ADMIN, "一", good_plan())
    await service.publish(draft.id, ADMIN)
    await service.publish(draft.id, ADMIN)
    with pytest.raises(asyncpg.UniqueViolationError):
        await pool.execute("UPDATE dial_plan_versions SET state = 'live' WHERE version = 1")
    assert await pool.fetchval("SELECT count(*) FROM dial_plan_versions WHERE state = 'live'") == 1


async def test_a_version_never_changes_and_the_audit_is_append_only(pool: asyncpg.Pool) -> None:
    service = make_service(pool, FakePublisher())
    draft = await service.create_draft(ADMIN, "一", good_plan())
    await service.publish(draft.id, ADMIN)
    with pytest.raises(asyncpg.RaiseError, match="changes only its state"):
        await pool.execute("UPDATE dial_plan_versions SET plan = '{}' WHERE version = 1")
    with pytest.raises(asyncpg.RaiseError, match="never deleted"):
        await pool.execute("DELETE FROM dial_plan_versions")
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await pool.execute("UPDATE dial_plan_audit SET actor = 'someone'")
    with pytest.raises(asyncpg.RaiseError, match="append-only"):
        await pool.execute("DELETE FROM dial_plan_audit")


async def test_a_failed_publish_marks_its_version_failed_and_the_live_one_stays(
    pool: asyncpg.Pool,
) -> None:
    publisher = FakePublisher()
    service = make_service(pool, publisher)
    draft = await service.create_draft(ADMIN, "一", good_plan())
    await service.publish(draft.id, ADMIN)
    publisher.fail_with = "dialplan show found 3 of 4 contexts"
    with pytest.raises(PublishFailed, match="version 2 was not published") as raised:
        await service.publish(draft.id, ADMIN)
    assert raised.value.details["version"] == 2
    failed = await service.version(2)
    assert failed.state is VersionState.FAILED
    assert failed.error is not None and "3 of 4 contexts" in failed.error
    assert (await service.version(1)).state is VersionState.LIVE
    publisher.fail_with = None
    v3 = await service.publish(draft.id, ADMIN)
    assert v3.version == 3
    assert publisher.handed[-1] == (3, 1)  # a failed version is never handed on
    assert [a for a in await _actions(pool) if a[0] != "draft_created"] == [
        ("published", 1),
        ("publish_failed", 2),
        ("published", 3),
    ]


async def test_a_plan_with_problems_is_not_published_and_nothing_changes(
    pool: asyncpg.Pool,
) -> None:
    publisher = FakePublisher()
    service = make_service(pool, publisher)
    draft = await service.create_draft(ADMIN, "坏", broken_plan())
    with pytest.raises(PlanProblems) as raised:
        await service.publish(draft.id, ADMIN)
    problems = raised.value.details["problems"]
    assert isinstance(problems, list) and problems[0]["node"] == "main"
    assert await service.history() == []
    assert publisher.releases == []
    assert await _actions(pool) == [("draft_created", None)]


async def test_a_rollback_publishes_the_earlier_plan_as_a_new_version(pool: asyncpg.Pool) -> None:
    publisher = FakePublisher()
    service = make_service(pool, publisher)
    one = await service.create_draft(ADMIN, "一", good_plan())
    two = await service.create_draft(ADMIN, "二", good_plan("goodbye"))
    v1 = await service.publish(one.id, ADMIN)
    await service.publish(two.id, ADMIN)
    back = await service.rollback(1, OTHER_ADMIN)
    assert (back.version, back.state, back.rollback_of, back.published_by) == (
        3,
        VersionState.LIVE,
        1,
        "1098",
    )
    assert back.plan == v1.plan
    assert back.text_hash != v1.text_hash  # its own contexts: hl-v3-…
    assert (await service.version(2)).state is VersionState.PREVIOUS
    assert publisher.handed[-1] == (3, 2, 1)
    entries = await repo.audit_entries(pool, 1)
    assert (entries[0].action, entries[0].actor, entries[0].detail["rollback_of"]) == (
        Action.ROLLED_BACK,
        "1098",
        1,
    )
    diff = await service.diff(2, 3)
    assert [c.node for c in diff.changed] == ["greeting"]


async def test_no_rollback_to_a_version_that_never_went_live(pool: asyncpg.Pool) -> None:
    publisher = FakePublisher(fail_with="reload refused")
    service = make_service(pool, publisher)
    draft = await service.create_draft(ADMIN, "一", good_plan())
    with pytest.raises(PublishFailed):
        await service.publish(draft.id, ADMIN)
    with pytest.raises(VersionNotPublishable):
        await service.rollback(1, ADMIN)


async def test_one_publish_at_a_time(pool: asyncpg.Pool) -> None:
    service = make_service(pool, FakePublisher())
    draft = await service.create_draft(ADMIN, "一", good_plan())
    async with repo.publish_lock(pool):  # another publish under way
        with pytest.raises(repo.PublishInProgress):
            await service.publish(draft.id, ADMIN)
    assert await service.history() == []
    assert (await service.publish(draft.id, ADMIN)).version == 1


async def test_a_publish_a_dead_service_left_half_done_is_marked_failed(
    pool: asyncpg.Pool,
) -> None:
    service = make_service(pool, FakePublisher())
    draft = await service.create_draft(ADMIN, "一", good_plan())
    await repo.insert_version(
        pool,
        good_plan(),
        actor="1099",
        at=datetime.now(UTC),
        draft_id=None,
        draft_name=None,
        rollback_of=None,
    )
    await service.publish(draft.id, ADMIN)
    stale = await service.version(1)
    assert stale.state is VersionState.FAILED and "stopped while publishing" in (stale.error or "")
    assert (await service.version(2)).state is VersionState.LIVE


async def test_the_sandbox_renders_the_live_version_or_else_the_default_plan(
    pool: asyncpg.Pool,
) -> None:
    from core.settings import Settings

    settings = Settings(dialplan_keep_versions=1)
    now = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    files = await live_files(pool, settings, now)
    assert "plan-v0.conf" in files  # nothing published yet: the default plan
    service = make_service(pool, FakePublisher())
    draft = await service.create_draft(ADMIN, "一", good_plan())
    for _ in range(3):
        await service.publish(draft.id, ADMIN)
    files = await live_files(pool, settings, now)
    plans = sorted(name for name in files if name.startswith("plan-v"))
    assert plans == ["plan-v2.conf", "plan-v3.conf"]
    assert set(files) == {"entry.conf", "calendar.conf", "queues.inc", *plans}
    assert "Goto(hl-v3,s,1)" in files["entry.conf"]
