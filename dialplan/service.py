"""Dial plans' life: drafts → validate / simulate → publish → roll back; history, diff,
audit. Only admins change anything; the views only parse.

Reads as a checklist (wazo-agentd's shape): publishing checks the plan, takes the
publish lock, allocates the version, compiles the release, hands it to the
``Publisher``, then marks it live — or failed, with the former live version left live.

What this service codes against, delivered by other parts of issue 10:
- ``KnownPrompts.known_prompts()``: the prompt library (``ivr/``) — which prompt names
  exist in which language;
- ``CalendarSource.day_function()``: the calendar (``ivr/calendar.py``), a pure
  ``date → Day`` with the admins' overrides loaded;
- ``Publisher`` (``dialplan/publish.py``): the Asterisk side.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from core.actor import Actor, Role
from core.errors import Forbidden, HotlineError, NotFound
from core.logging import get_logger
from dialplan import repo, simulate, validate
from dialplan.compiler import CompileOptions
from dialplan.diff import PlanDiff, diff_plans
from dialplan.model import Language, Plan, Transfer, prompts_of
from dialplan.plan_json import parse_plan, plan_to_json
from dialplan.publish import Publisher, PublishFailed
from dialplan.release import (
    DayOf,
    Release,
    build_release,
    calendar_days,
    live_plans,
)
from dialplan.simulate import Walk
from dialplan.validate import Known, Problem
from dialplan.versions import Action, AuditEntry, Draft, Version, VersionState, check_label

log = get_logger("dialplan")


class PlanProblems(HotlineError):
    """The plan would break calls; ``problems`` says where and what to do (422)."""

    code = "dialplan.problems"


class VersionNotPublishable(HotlineError):
    """A rollback to a version that never went live."""

    code = "dialplan.version_failed"


class KnownPrompts(Protocol):
    def known_prompts(self) -> Mapping[Language, frozenset[str]]: ...


class CalendarSource(Protocol):
    async def day_function(self) -> DayOf: ...


@dataclass(frozen=True)
class FixedCalendar:
    """A ``CalendarSource`` over a day function that needs nothing loaded."""

    day_of: DayOf

    async def day_function(self) -> DayOf:
        return self.day_of


@dataclass(frozen=True)
class PlanSettings:
    compile: CompileOptions
    queues: frozenset[str]  # the queues a queue node may name
    keep: int  # versions kept loaded besides the live one
    calendar_ahead_days: int
    default: Plan  # what runs while nothing was ever published


def require_admin(actor: Actor) -> Actor:
    if actor.role is not Role.ADMIN:
        raise Forbidden("only an admin edits, publishes or rolls back dial plans")
    return actor


def read_plan(raw: object) -> Plan:
    """The JSON form to a ``Plan``, labels included: 400 ``dialplan.invalid`` naming the
    field for anything malformed."""
    plan = parse_plan(raw)
    if plan.name:
        check_label(plan.name, "name", "plan")
    for node in plan.nodes:
        if isinstance(node, Transfer) and node.department:
            check_label(node.department, "department", f"node '{node.id}'")
    return plan


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def problems_json(problems: tuple[Problem, ...]) -> list[dict[str, Any]]:
    return [
        {"node": p.node, "code": p.code, "severity": p.severity.value, "message": p.message}
        for p in problems
    ]


def _failure(exc: BaseException) -> str:
    if isinstance(exc, HotlineError):
        return f"{exc.code}: {exc.message}"[:2000]
    return f"internal error: {type(exc).__name__}"


class DialPlanService:
    def __init__(
        self,
        pool: Any,
        publisher: Publisher,
        *,
        settings: PlanSettings,
        prompts: KnownPrompts,
        calendar: CalendarSource,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.pool = pool
        self.publisher = publisher
        self.settings = settings
        self.prompts = prompts
        self.calendar = calendar
        self.clock = clock

    # ---- drafts -------------------------------------------------------------------------

    async def drafts(self) -> list[Draft]:
        return await repo.drafts(self.pool)

    async def draft(self, draft_id: int) -> Draft:
        found = await repo.draft(self.pool, draft_id)
        if found is None:
            raise NotFound(f"there is no draft {draft_id}")
        return found

    async def create_draft(self, actor: Actor, name: object, raw_plan: object) -> Draft:
        require_admin(actor)
        name = check_label(name, "name")
        plan = plan_to_json(read_plan(raw_plan))
        async with self.pool.acquire() as conn, conn.transaction():
            draft = await repo.insert_draft(conn, name, plan, actor.job_number, self.clock())
            await self._audit(conn, actor, Action.DRAFT_CREATED, draft=draft)
        log.info("draft created", draft=draft.id, actor=actor.job_number)
        return draft

    async def update_draft(
        self, actor: Actor, draft_id: int, name: str | None, raw_plan: object, revision: int | None
    ) -> Draft:
        require_admin(actor)
        plan = plan_to_json(read_plan(raw_plan))
        async with self.pool.acquire() as conn, conn.transaction():
            current = await repo.draft(conn, draft_id)
            if current is None:
                raise NotFound(f"there is no draft {draft_id}")
            new_name = current.name if name is None else check_label(name, "name")
            draft = await repo.update_draft(
                conn,
                draft_id,
                name=new_name,
                plan=plan,
                revision=revision,
                actor=actor.job_number,
                at=self.clock(),
            )
            if draft is None:
                raise repo.DraftChanged(
                    f"draft {draft_id} was edited meanwhile (now revision {current.revision});"
                    " reload it and edit again",
                    revision=current.revision,
                )
            await self._audit(conn, actor, Action.DRAFT_UPDATED, draft=draft)
        return draft

    async def delete_draft(self, actor: Actor, draft_id: int) -> None:
        require_admin(actor)
        async with self.pool.acquire() as conn, conn.transaction():
            name = await repo.delete_draft(conn, draft_id)
            if name is None:
                raise NotFound(f"there is no draft {draft_id}")
            await repo.audit(
                conn,
                at=self.clock(),
                actor=actor.job_number,
                action=Action.DRAFT_DELETED,
                draft_id=draft_id,
                draft_name=name,
            )

    async def prompt_use(self, name: str) -> str | None:
        """Where a version Asterisk runs plays prompt ``name`` (the prompt library
        refuses to delete it then), or ``None``. While nothing was published: the
        default plan."""
        loaded = await repo.loaded_versions(self.pool, self.settings.keep)
        plans = [(v.version, parse_plan(v.plan)) for v in loaded] or [(0, self.settings.default)]
        for number, plan in plans:
            for node in plan.nodes:
                if name in prompts_of(node):
                    return f"dial plan version {number}, node '{node.id}'"
        return None

    # ---- validate, simulate -------------------------------------------------------------

    def known(self) -> Known:
        return Known(prompts=self.prompts.known_prompts(), queues=self.settings.queues)

    async def validate(self, draft_id: int) -> tuple[Problem, ...]:
        return validate.validate(read_plan((await self.draft(draft_id)).plan), self.known())

    async def plan_of(self, *, draft_id: int | None = None, version: int | None = None) -> Plan:
        if draft_id is not None:
            return read_plan((await self.draft(draft_id)).plan)
        assert version is not None
        return parse_plan((await self.version(version)).plan)

    async def simulate(
        self, plan: Plan, keys: str, at: datetime, *, agents_signed_in: bool = True
    ) -> Walk:
        """``at`` in the centre's time zone: the calendar's date is the centre's."""
        local = at.astimezone(ZoneInfo(self.settings.compile.timezone))
        day_of = await self.calendar.day_function()
        return simulate.simulate(plan, keys, local, day_of, agents_signed_in=agents_signed_in)

    # ---- publish, roll back -------------------------------------------------------------

    async def publish(self, draft_id: int, actor: Actor) -> Version:
        require_admin(actor)
        draft = await self.draft(draft_id)
        plan = read_plan(draft.plan)
        problems = validate.validate(plan, self.known())
        if validate.blocking(problems):  # warnings are said, but do not stop a publish
            raise PlanProblems(
                f"draft {draft.name!r} would break calls: {len(problems)} problem(s) to fix",
                problems=problems_json(problems),
            )
        return await self._publish(plan, actor, draft=draft, rollback_of=None)

    async def rollback(self, to_version: int, actor: Actor) -> Version:
        """The plan of ``to_version`` goes live again as a new version (``rollback_of``)."""
        require_admin(actor)
        earlier = await self.version(to_version)
        if earlier.state in (VersionState.FAILED, VersionState.PUBLISHING):
            raise VersionNotPublishable(
                f"version {to_version} never went live; roll back to one that did"
            )
        return await self._publish(
            parse_plan(earlier.plan), actor, draft=None, rollback_of=to_version
        )

    async def _publish(
        self, plan: Plan, actor: Actor, *, draft: Draft | None, rollback_of: int | None
    ) -> Version:
        ok, failed = (
            (Action.PUBLISHED, Action.PUBLISH_FAILED)
            if rollback_of is None
            else (Action.ROLLED_BACK, Action.ROLLBACK_FAILED)
        )
        async with repo.publish_lock(self.pool) as conn:
            stale = await repo.abandon_publishing(conn, "the service stopped while publishing")
            if stale:
                log.warning("versions left publishing marked failed", versions=stale)
            number = await repo.insert_version(
                conn,
                plan_to_json(plan),
                actor=actor.job_number,
                at=self.clock(),
                draft_id=draft.id if draft else None,
                draft_name=draft.name if draft else None,
                rollback_of=rollback_of,
            )
            hashed: str | None = None
            try:
                release = await self._release(conn, number, plan)
                hashed = text_hash(release.compiled[0].text)
                await self.publisher.publish(release.compiled, release.entry, release.calendar)
            except Exception as exc:
                await self._failed(
                    conn,
                    actor=actor,
                    action=failed,
                    number=number,
                    draft=draft,
                    rollback_of=rollback_of,
                    hashed=hashed,
                    exc=exc,
                )
                raise self._publish_failed(number, exc) from exc
            async with conn.transaction():
                former = await repo.make_live(conn, number, hashed)
                detail = {"former_live": former, "rollback_of": rollback_of, "hash": hashed}
                await self._audit(conn, actor, ok, draft=draft, version=number, detail=detail)
            log.info(
                "dial plan published",
                version=number,
                former=former,
                rollback_of=rollback_of,
                actor=actor.job_number,
            )
            return await self.version(number)

    async def refresh_calendar(self) -> None:
        """The calendar changed (an override, a notice): Asterisk gets the versions it
        runs again, with the days compiled afresh — no new version. ``PublishFailed``
        if Asterisk does not take them (it keeps the former days until the next try)."""
        s = self.settings
        async with repo.publish_lock(self.pool) as conn:
            plans = await live_plans(conn, s.keep, s.default)
            day_of = await self.calendar.day_function()
            today = self.clock().astimezone(ZoneInfo(s.compile.timezone)).date()
            release = build_release(
                plans, s.compile, calendar_days(today, s.calendar_ahead_days, day_of)
            )
            try:
                await self.publisher.publish(release.compiled, release.entry, release.calendar)
            except PublishFailed as exc:
                raise PublishFailed(
                    f"the calendar is saved, but Asterisk did not take it ({exc.message}); "
                    "callers are routed on the former days until the next publish",
                    version=release.live,
                ) from exc
        log.info("dial plan calendar refreshed", live=release.live)

    async def _release(self, conn: Any, number: int, plan: Plan) -> Release:
        """The new version first, then those kept for callers still in them."""
        s = self.settings
        kept = (await live_plans(conn, s.keep, s.default))[: s.keep]
        day_of = await self.calendar.day_function()
        today = self.clock().astimezone(ZoneInfo(s.compile.timezone)).date()
        days = calendar_days(today, s.calendar_ahead_days, day_of)
        return build_release([(number, plan), *kept], s.compile, days)

    async def _failed(
        self,
        conn: Any,
        *,
        actor: Actor,
        action: Action,
        number: int,
        draft: Draft | None,
        rollback_of: int | None,
        hashed: str | None,
        exc: Exception,
    ) -> None:
        error = _failure(exc)
        async with conn.transaction():
            await repo.mark_failed(conn, number, error, hashed)
            detail = {"error": error, "rollback_of": rollback_of}
            await self._audit(conn, actor, action, draft=draft, version=number, detail=detail)
        log.warning("dial plan not published", version=number, error=error, actor=actor.job_number)

    def _publish_failed(self, number: int, exc: Exception) -> PublishFailed:
        why = exc.message if isinstance(exc, HotlineError) else "an internal error (logged)"
        return PublishFailed(
            f"version {number} was not published: {why}. The version live before stays live.",
            version=number,
        )

    # ---- history ------------------------------------------------------------------------

    async def history(self, limit: int = 100) -> list[Version]:
        return await repo.versions(self.pool, limit)

    async def version(self, number: int) -> Version:
        found = await repo.version(self.pool, number)
        if found is None:
            raise NotFound(f"there is no version {number}")
        return found

    async def diff(self, a: int, b: int) -> PlanDiff:
        old, new = await self.version(a), await self.version(b)
        return diff_plans(parse_plan(old.plan), parse_plan(new.plan))

    async def audit(self, limit: int = 100) -> list[AuditEntry]:
        return await repo.audit_entries(self.pool, limit)

    async def _audit(
        self,
        conn: Any,
        actor: Actor,
        action: Action,
        *,
        draft: Draft | None = None,
        version: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        await repo.audit(
            conn,
            at=self.clock(),
            actor=actor.job_number,
            action=action,
            draft_id=draft.id if draft else None,
            draft_name=draft.name if draft else None,
            version=version,
            detail=detail,
        )
