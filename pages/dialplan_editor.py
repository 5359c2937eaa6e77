"""The admin's dial-plan editor (``/admin/dialplan``): drafts, the plan as a tree from its
start with a form per node, the validator's problems at their node, simulated key
presses, publish, history, diff between versions, roll back.

Each form is one call to ``DialPlanService`` — the same calls, in the same order and
with the same checks, as the admin API (``dialplan.views``): a node's form makes the
draft's whole plan anew (``pages.dialplan_forms``) and saves it with the draft's
revision, so a draft edited meanwhile elsewhere is refused, not overwritten. A refusal
is the draft page again with the message at the node and field (nothing saved).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from core.encoding import json_dumps
from core.errors import HotlineError, InvalidInput
from core.request_actor import actor_of
from dialplan.diff import PlanDiff
from dialplan.model import DEFAULT_LANGUAGE, Language, Weekday
from dialplan.plan_json import parse_plan, plan_to_json
from dialplan.service import DialPlanService
from dialplan.versions import VersionState
from dialplan.views import parse_simulation
from pages import dialplan_forms as forms
from pages import guard, i18n, routes, views
from web.errors import status_for

BASE = "/admin/dialplan"
_NUMBER = re.compile(r"[1-9][0-9]{0,17}")
NAME_MAX = 100
Errors = dict[str, tuple[str, str, str]]  # "node:field" → (code, text, detail)


def _number(raw: str, what: str) -> int:
    if not _NUMBER.fullmatch(raw):
        raise InvalidInput(f"{what} must be a whole number from 1", field=what)
    return int(raw)


def _error(request: web.Request, exc: HotlineError) -> tuple[str, str, str]:
    return exc.code, i18n.error_text(guard.language_of(request), exc.code), exc.message


class DialPlanEditor:
    def __init__(self, service: DialPlanService) -> None:
        self.service = service

    # ---- the index: drafts, history, diff -----------------------------------------------

    async def index(self, request: web.Request, errors: Errors | None = None) -> web.Response:
        versions = await self.service.history(50)
        diff, diff_error = None, None
        if "from" in request.query or "to" in request.query:
            try:
                a = _number(request.query.get("from", ""), "from")
                b = _number(request.query.get("to", ""), "to")
                diff = diff_rows(await self.service.diff(a, b))
            except HotlineError as exc:
                diff_error = _error(request, exc)
        context = {
            "drafts": await self.service.drafts(),
            "versions": versions,
            "diff": diff,
            "errors": {**(errors or {}), **({"diff:": diff_error} if diff_error else {})},
            "query": dict(request.query),
            "new_name": "草稿 " + datetime.now().strftime("%Y%m%d-%H%M%S"),
        }
        status = 200
        if errors:
            status = status_for(next(iter(errors.values()))[0])
        elif diff_error:
            status = status_for(diff_error[0])
        return views.render(request, "admin_dialplan.html", context, status=status)

    async def index_page(self, request: web.Request) -> web.Response:
        return await self.index(request)

    async def create(self, request: web.Request) -> web.StreamResponse:
        """A new draft: the plan of the version named (or the live one, or the shipped
        default while nothing was published)."""
        form = await request.post()
        raw = str(form.get("from_version", "")).strip()
        try:
            plan = await self._source_plan(raw)
            name = str(form.get("name", ""))[:NAME_MAX].strip()
            draft = await self.service.create_draft(actor_of(request), name, plan)
        except HotlineError as exc:
            return await self.index(request, {"new:name": _error(request, exc)})
        return views.see_other(f"{BASE}/drafts/{draft.id}")

    async def _source_plan(self, raw: str) -> dict[str, Any]:
        if raw:
            return (await self.service.version(_number(raw, "from_version"))).plan
        for version in await self.service.history(50):
            if version.state is VersionState.LIVE:
                return version.plan
        return plan_to_json(self.service.settings.default)

    async def rollback(self, request: web.Request) -> web.StreamResponse:
        try:
            number = _number(request.match_info["version"], "version")
            await self.service.rollback(number, actor_of(request))
        except HotlineError as exc:
            key = f"rollback:{request.match_info['version'][:20]}"
            return await self.index(request, {key: _error(request, exc)})
        return views.see_other(BASE)

    # ---- a draft ------------------------------------------------------------------------

    async def draft_page(self, request: web.Request) -> web.Response:
        draft_id = _number(request.match_info["draft"], "draft")
        return await self._draft(request, draft_id, {}, simulate=bool(request.query))

    async def _draft(
        self,
        request: web.Request,
        draft_id: int,
        errors: Errors,
        *,
        posted: tuple[str, dict[str, str]] | None = None,
        simulate: bool = False,
        status: int = 200,
    ) -> web.Response:
        draft = await self.service.draft(draft_id)
        plan = parse_plan(draft.plan)
        nodes = {n["id"]: n for n in draft.plan["nodes"]}
        values = {node_id: forms.form_values(n) for node_id, n in nodes.items()}
        if posted is not None:  # what the admin typed, kept where it was refused
            values[posted[0]] = posted[1]
        walk = await self._walk(request, errors) if simulate else None
        context = {
            "draft": draft,
            "plan": draft.plan,
            "rows": forms.tree_rows(plan),
            "nodes": nodes,
            "values": values,
            "fields": forms.FIELDS,
            "kinds": forms.KIND_NAMES,
            "languages": [lang.value for lang in Language],
            "weekdays": [d.name.lower() for d in Weekday],
            "problems": forms.problems_by_node(await self.service.validate(draft_id)),
            "errors": errors,
            "prompts": sorted(self.service.known().prompts.get(DEFAULT_LANGUAGE, ())),
            "sim": dict(request.query) if simulate else {},
            "walk": walk,
            "now": datetime.now(self._tz()).strftime("%Y-%m-%dT%H:%M"),
        }
        if errors and status == 200:
            status = status_for(next(iter(errors.values()))[0])
        return views.render(request, "admin_dialplan_draft.html", context, status=status)

    def _tz(self) -> ZoneInfo:
        return ZoneInfo(self.service.settings.compile.timezone)

    async def _walk(self, request: web.Request, errors: Errors) -> Any:
        q = request.query
        body = {"keys": q.get("keys", ""), "at": q.get("at", ""), "agents_signed_in": "agents" in q}
        try:
            keys, at, signed_in = parse_simulation(body, self.service.settings.compile.timezone)
            plan = await self.service.plan_of(draft_id=_number(request.match_info["draft"], "d"))
            return await self.service.simulate(plan, keys, at, agents_signed_in=signed_in)
        except HotlineError as exc:
            errors[f"simulate:{exc.details.get('field', 'keys')}"] = _error(request, exc)
            return None

    async def _save(
        self,
        request: web.Request,
        draft_id: int,
        key: str,
        plan: dict[str, Any],
        posted: tuple[str, dict[str, str]] | None = None,
    ) -> web.Response:
        """Save the draft's plan with the revision the form was made from, or the draft
        page with the refusal at ``key`` (``node`` or ``node:field``)."""
        form = await request.post()
        try:
            revision = _number(str(form.get("revision", "")), "revision")
            await self.service.update_draft(actor_of(request), draft_id, None, plan, revision)
        except HotlineError as exc:
            field = str(exc.details.get("field", "")) if "where" in exc.details else ""
            return await self._draft(
                request, draft_id, {f"{key}:{field}": _error(request, exc)}, posted=posted
            )
        return views.see_other(f"{BASE}/drafts/{draft_id}#node-{key}")

    async def save_node(self, request: web.Request) -> web.StreamResponse:
        draft_id = _number(request.match_info["draft"], "draft")
        node_id = request.match_info["node"]
        draft = await self.service.draft(draft_id)
        node = next((n for n in draft.plan["nodes"] if n["id"] == node_id), None)
        if node is None:
            raise InvalidInput(f"draft {draft_id} has no node {node_id[:40]!r}", field="node")
        form = await request.post()
        typed = {name: str(form.get(name, "")) for name, _, _ in forms.FIELDS[node["kind"]]}
        try:
            changed = forms.with_node(draft.plan, forms.node_from_form(node["kind"], node_id, form))
        except HotlineError as exc:
            errors = {f"{node_id}:{exc.details.get('field', '')}": _error(request, exc)}
            return await self._draft(request, draft_id, errors, posted=(node_id, typed))
        return await self._save(request, draft_id, node_id, changed, (node_id, typed))

    async def add_node(self, request: web.Request) -> web.StreamResponse:
        draft_id = _number(request.match_info["draft"], "draft")
        draft = await self.service.draft(draft_id)
        form = await request.post()
        node_id = str(form.get("id", ""))[:NAME_MAX].strip()
        kind, then = str(form.get("kind", ""))[:NAME_MAX], str(form.get("then", ""))[:NAME_MAX]
        try:
            if any(n["id"] == node_id for n in draft.plan["nodes"]):
                raise InvalidInput(f"there is a node {node_id!r} already", field="id")
            queue = min(self.service.settings.queues, default="hotline")
            made = forms.new_node(kind, node_id, then or draft.plan["start"], "greeting", queue)
        except HotlineError as exc:
            field = exc.details.get("field", "id")
            return await self._draft(request, draft_id, {f"new:{field}": _error(request, exc)})
        return await self._save(request, draft_id, "new", forms.with_node(draft.plan, made))

    async def remove_node(self, request: web.Request) -> web.StreamResponse:
        draft_id = _number(request.match_info["draft"], "draft")
        draft = await self.service.draft(draft_id)
        node_id = request.match_info["node"]
        return await self._save(request, draft_id, node_id, forms.without_node(draft.plan, node_id))

    async def save_plan(self, request: web.Request) -> web.StreamResponse:
        draft_id = _number(request.match_info["draft"], "draft")
        draft = await self.service.draft(draft_id)
        changed = forms.plan_settings(draft.plan, await request.post())
        return await self._save(request, draft_id, "plan", changed)

    async def publish(self, request: web.Request) -> web.StreamResponse:
        draft_id = _number(request.match_info["draft"], "draft")
        try:
            await self.service.publish(draft_id, actor_of(request))
        except HotlineError as exc:
            return await self._draft(request, draft_id, {"publish:": _error(request, exc)})
        return views.see_other(BASE)

    async def delete(self, request: web.Request) -> web.StreamResponse:
        draft_id = _number(request.match_info["draft"], "draft")
        await self.service.delete_draft(actor_of(request), draft_id)
        return views.see_other(BASE)

    def handlers(self) -> dict[routes.Key, routes.Handler]:
        draft = f"{BASE}/drafts/{{draft}}"
        return {
            ("GET", BASE): self.index_page,
            ("POST", f"{BASE}/drafts"): self.create,
            ("POST", f"{BASE}/versions/{{version}}/rollback"): self.rollback,
            ("GET", draft): self.draft_page,
            ("POST", f"{draft}/plan"): self.save_plan,
            ("POST", f"{draft}/nodes"): self.add_node,
            ("POST", f"{draft}/nodes/{{node}}"): self.save_node,
            ("POST", f"{draft}/nodes/{{node}}/remove"): self.remove_node,
            ("POST", f"{draft}/publish"): self.publish,
            ("POST", f"{draft}/delete"): self.delete,
        }


def diff_rows(diff: PlanDiff) -> dict[str, Any]:
    """What the diff shows: nodes added, removed, changed field by field (as JSON text)."""
    return {
        "same": diff.empty,
        "added": diff.added,
        "removed": diff.removed,
        "changed": [
            (c.node, [(f.field, json_dumps(f.old), json_dumps(f.new)) for f in c.fields])
            for c in diff.changed
        ],
        "plan": [(f.field, json_dumps(f.old), json_dumps(f.new)) for f in diff.plan_fields],
        "entries_added": diff.entry_numbers_added,
        "entries_removed": diff.entry_numbers_removed,
    }
