"""The admin JSON API of dial plans (aiohttp handlers); role admin for every route.

GET    /api/admin/dialplan/drafts                          the drafts
POST   /api/admin/dialplan/drafts                          {name, plan} → 201
GET    /api/admin/dialplan/drafts/{draft}
PUT    /api/admin/dialplan/drafts/{draft}                  {plan, name?, revision?}
DELETE /api/admin/dialplan/drafts/{draft}
POST   /api/admin/dialplan/drafts/{draft}/validate         → {publishable, problems}
POST   /api/admin/dialplan/drafts/{draft}/simulate         {keys, at, agents_signed_in?}
POST   /api/admin/dialplan/drafts/{draft}/publish          → 201 the new version
GET    /api/admin/dialplan/versions                        newest first
GET    /api/admin/dialplan/versions/{version}
POST   /api/admin/dialplan/versions/{version}/simulate     as for a draft
POST   /api/admin/dialplan/versions/{version}/rollback     → 201 a new version, that plan
GET    /api/admin/dialplan/diff?from=A&to=B                node by node
GET    /api/admin/dialplan/audit?limit=N                   newest first

Views parse and shape JSON; ``DialPlanService`` decides (who may, what happens).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from core.actor import Actor
from core.encoding import json_dumps
from core.errors import InvalidInput
from core.inputs import json_object, whole_number
from core.request_actor import actor_of
from dialplan.diff import diff_to_json
from dialplan.model import Plan
from dialplan.problems import blocking
from dialplan.service import DialPlanService, problems_json, require_admin
from dialplan.simulate import Walk
from dialplan.versions import AuditEntry, Draft, Version

PREFIX = "/api/admin/dialplan"
KEYS = re.compile(r"[0-9*#]{0,64}")
_ID = re.compile(r"[1-9][0-9]{0,17}")
AT_MAX = 40
LIST_MAX = 1000


def _when(value: datetime) -> str:
    return value.isoformat()


def draft_json(draft: Draft, *, with_plan: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": draft.id,
        "name": draft.name,
        "revision": draft.revision,
        "created_by": draft.created_by,
        "created_at": _when(draft.created_at),
        "edited_by": draft.edited_by,
        "edited_at": _when(draft.edited_at),
    }
    if with_plan:
        out["plan"] = draft.plan
    return out


def version_json(version: Version, *, with_plan: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "version": version.version,
        "state": version.state.value,
        "text_hash": version.text_hash,
        "published_by": version.published_by,
        "published_at": _when(version.published_at),
        "draft_id": version.draft_id,
        "draft_name": version.draft_name,
        "rollback_of": version.rollback_of,
        "error": version.error,
    }
    if with_plan:
        out["plan"] = version.plan
    return out


def audit_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": _when(entry.at),
        "actor": entry.actor,
        "action": entry.action.value,
        "draft_id": entry.draft_id,
        "draft_name": entry.draft_name,
        "version": entry.version,
        "detail": entry.detail,
    }


def walk_json(walk: Walk) -> dict[str, Any]:
    return {
        "steps": [
            {
                "node": s.node,
                "kind": s.kind,
                "language": s.language.value,
                "heard": list(s.heard),
                "note": s.note,
            }
            for s in walk.steps
        ],
        "ends": walk.ends,
        "node": walk.node,
        "detail": walk.detail,
    }


def _json(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=json_dumps)


def _number(raw: str, what: str) -> int:
    if not _ID.fullmatch(raw):
        raise InvalidInput(f"{what} must be a whole number from 1", field=what)
    return int(raw)


def _only(body: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(unknown)[:200]}", field=unknown[0][:64])
    return body


def _plan_field(body: dict[str, Any]) -> dict[str, Any]:
    plan = body.get("plan")
    if not isinstance(plan, dict):
        raise InvalidInput("plan must be a dial plan (a JSON object)", field="plan")
    return plan


def parse_simulation(body: dict[str, Any], timezone: str) -> tuple[str, datetime, bool]:
    """``keys`` (what the caller presses), ``at`` (ISO 8601; without an offset, the
    centre's time), ``agents_signed_in`` (default true)."""
    _only(body, {"keys", "at", "agents_signed_in"})
    keys = body.get("keys", "")
    if not isinstance(keys, str) or not KEYS.fullmatch(keys):
        raise InvalidInput("keys must be up to 64 keys: 0-9, * or #", field="keys")
    raw_at = body.get("at")
    try:
        if not isinstance(raw_at, str) or len(raw_at) > AT_MAX or not raw_at.isascii():
            raise ValueError(raw_at)
        at = datetime.fromisoformat(raw_at)
    except ValueError as exc:
        raise InvalidInput(
            "at must be a date and time such as 2026-10-01T09:30 (the centre's time)", field="at"
        ) from exc
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo(timezone))
    signed_in = body.get("agents_signed_in", True)
    if not isinstance(signed_in, bool):
        raise InvalidInput("agents_signed_in must be true or false", field="agents_signed_in")
    return keys, at, signed_in


class DialPlanViews:
    def __init__(self, service: DialPlanService) -> None:
        self.service = service

    @staticmethod
    def _admin(request: web.Request) -> Actor:
        """Who asks, refused before anything is read unless an admin."""
        return require_admin(actor_of(request))

    @staticmethod
    def _draft_id(request: web.Request) -> int:
        return _number(request.match_info["draft"], "draft")

    @staticmethod
    def _version(request: web.Request) -> int:
        return _number(request.match_info["version"], "version")

    # ---- drafts -------------------------------------------------------------------------

    async def list_drafts(self, request: web.Request) -> web.Response:
        self._admin(request)
        drafts = await self.service.drafts()
        return _json({"drafts": [draft_json(d, with_plan=False) for d in drafts]})

    async def create_draft(self, request: web.Request) -> web.Response:
        actor = self._admin(request)
        body = _only(json_object(await request.read()), {"name", "plan"})
        draft = await self.service.create_draft(actor, body.get("name"), _plan_field(body))
        return _json(draft_json(draft), status=201)

    async def get_draft(self, request: web.Request) -> web.Response:
        self._admin(request)
        return _json(draft_json(await self.service.draft(self._draft_id(request))))

    async def put_draft(self, request: web.Request) -> web.Response:
        actor = self._admin(request)
        draft_id = self._draft_id(request)
        body = _only(json_object(await request.read()), {"name", "plan", "revision"})
        revision = body.get("revision")
        if revision is not None and (
            isinstance(revision, bool) or not isinstance(revision, int) or revision < 1
        ):
            raise InvalidInput("revision must be the draft's revision you edited", field="revision")
        name = body.get("name")
        if name is not None and not isinstance(name, str):
            raise InvalidInput("name must be text", field="name")
        draft = await self.service.update_draft(actor, draft_id, name, _plan_field(body), revision)
        return _json(draft_json(draft))

    async def delete_draft(self, request: web.Request) -> web.Response:
        actor = self._admin(request)
        draft_id = self._draft_id(request)
        await self.service.delete_draft(actor, draft_id)
        return _json({"deleted": draft_id})

    async def validate(self, request: web.Request) -> web.Response:
        self._admin(request)
        problems = await self.service.validate(self._draft_id(request))
        publishable = not blocking(problems)  # warnings do not stop a publish
        return _json({"publishable": publishable, "problems": problems_json(problems)})

    async def simulate_draft(self, request: web.Request) -> web.Response:
        self._admin(request)
        plan = await self.service.plan_of(draft_id=self._draft_id(request))
        return await self._simulate(request, plan)

    async def publish(self, request: web.Request) -> web.Response:
        actor = self._admin(request)
        version = await self.service.publish(self._draft_id(request), actor)
        return _json(version_json(version), status=201)

    # ---- versions -----------------------------------------------------------------------

    async def list_versions(self, request: web.Request) -> web.Response:
        self._admin(request)
        limit = whole_number(request.query.get("limit"), "limit", default=100, low=1, high=LIST_MAX)
        versions = await self.service.history(limit)
        return _json({"versions": [version_json(v, with_plan=False) for v in versions]})

    async def get_version(self, request: web.Request) -> web.Response:
        self._admin(request)
        return _json(version_json(await self.service.version(self._version(request))))

    async def simulate_version(self, request: web.Request) -> web.Response:
        self._admin(request)
        plan = await self.service.plan_of(version=self._version(request))
        return await self._simulate(request, plan)

    async def rollback(self, request: web.Request) -> web.Response:
        actor = self._admin(request)
        version = await self.service.rollback(self._version(request), actor)
        return _json(version_json(version), status=201)

    async def diff(self, request: web.Request) -> web.Response:
        self._admin(request)
        unknown = set(request.query) - {"from", "to"}
        if unknown:
            raise InvalidInput("diff takes only from and to", field="query")
        a = _number(request.query.get("from", ""), "from")
        b = _number(request.query.get("to", ""), "to")
        return _json({"from": a, "to": b, **diff_to_json(await self.service.diff(a, b))})

    async def audit(self, request: web.Request) -> web.Response:
        self._admin(request)
        limit = whole_number(request.query.get("limit"), "limit", default=100, low=1, high=LIST_MAX)
        return _json({"audit": [audit_json(e) for e in await self.service.audit(limit)]})

    async def _simulate(self, request: web.Request, plan: Plan) -> web.Response:
        timezone = self.service.settings.compile.timezone
        keys, at, signed_in = parse_simulation(json_object(await request.read()), timezone)
        walk = await self.service.simulate(plan, keys, at, agents_signed_in=signed_in)
        return _json(walk_json(walk))

    def add_routes(self, app: web.Application) -> None:
        r = app.router
        r.add_get(f"{PREFIX}/drafts", self.list_drafts)
        r.add_post(f"{PREFIX}/drafts", self.create_draft)
        r.add_get(f"{PREFIX}/drafts/{{draft}}", self.get_draft)
        r.add_put(f"{PREFIX}/drafts/{{draft}}", self.put_draft)
        r.add_delete(f"{PREFIX}/drafts/{{draft}}", self.delete_draft)
        r.add_post(f"{PREFIX}/drafts/{{draft}}/validate", self.validate)
        r.add_post(f"{PREFIX}/drafts/{{draft}}/simulate", self.simulate_draft)
        r.add_post(f"{PREFIX}/drafts/{{draft}}/publish", self.publish)
        r.add_get(f"{PREFIX}/versions", self.list_versions)
        r.add_get(f"{PREFIX}/versions/{{version}}", self.get_version)
        r.add_post(f"{PREFIX}/versions/{{version}}/simulate", self.simulate_version)
        r.add_post(f"{PREFIX}/versions/{{version}}/rollback", self.rollback)
        r.add_get(f"{PREFIX}/diff", self.diff)
        r.add_get(f"{PREFIX}/audit", self.audit)
