"""The admin's accounts page (``/admin/agents``): every account, a new one, and per
account its edit page — name, role, desk phone, queues; disable / enable; a new PIN or
password, typed by the admin and never shown back (nor kept in the page).

Each form goes through ``AccountService``, the accounts API's own service: the same
rules, the same audit, one transaction each. The form is checked field by field first
(``pages.admin_forms``), so every mistake is said at its field; a refusal the service
finds (a job number taken meanwhile, a signed-in agent) is put at its field too.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from accounts.model import Account
from accounts.service import AccountService
from core import inputs
from core.errors import HotlineError
from core.request_actor import actor_of
from deskphones.service import PhoneService
from pages import guard, i18n, routes, views
from pages.admin_forms import AccountForm, Errors, check_account, field_of, form_of
from pages.admin_phones import AdminPhones
from web.errors import status_for

ROLES = ("agent", "supervisor", "admin")


class AdminAgents:
    def __init__(self, accounts: AccountService, phones: PhoneService) -> None:
        self.accounts = accounts
        self.phone_pages = AdminPhones(phones)

    # ---- the list and a new account ----------------------------------------------------

    async def page(self, request: web.Request) -> web.Response:
        return await self._list(request, AccountForm(), {})

    async def _list(
        self, request: web.Request, form: AccountForm, errors: Errors, status: int = 200
    ) -> web.Response:
        found = await self.accounts.accounts(actor_of(request))
        context = {"accounts": found, "form": _shown(form), **self._common(request, errors)}
        return views.render(request, "admin_agents.html", context, status=status)

    async def create(self, request: web.Request) -> web.Response:
        form = await _posted(request)
        account, given, errors = check_account(form, self.accounts.phones, self._queues(), new=True)
        if account is None or given is None:
            return await self._list(request, form, errors, 400)
        try:
            await self.accounts.create(actor_of(request), account, given)
        except HotlineError as exc:
            return await self._list(request, form, {field_of(exc): f"error.{exc.code}"}, _st(exc))
        return views.see_other(f"/admin/agents?created={account.job_number}")

    # ---- one account ---------------------------------------------------------------------

    async def edit_page(self, request: web.Request) -> web.Response:
        account = await self._account(request)
        return self._edit(request, account, _form_from(account), {})

    def _edit(
        self,
        request: web.Request,
        account: Account,
        form: AccountForm,
        errors: Errors,
        status: int = 200,
    ) -> web.Response:
        context = {"account": account, "form": _shown(form), **self._common(request, errors)}
        return views.render(request, "admin_agent.html", context, status=status)

    async def edit(self, request: web.Request) -> web.Response:
        account = await self._account(request)
        form = await _posted(request, job_number=account.job_number)
        checked, given, errors = check_account(
            form, self.accounts.phones, self._queues(), new=False
        )
        if checked is None or given is None:
            return self._edit(request, account, form, errors, 400)
        try:
            await self.accounts.change_role(
                actor_of(request), account.job_number, checked.role, given, name=checked.name
            )
        except HotlineError as exc:
            return self._edit(
                request, account, form, {field_of(exc): f"error.{exc.code}"}, _st(exc)
            )
        return views.see_other(f"/admin/agents/{account.job_number}?saved=1")

    async def set_disabled(self, request: web.Request) -> web.Response:
        account = await self._account(request)
        disabled = (await request.post()).get("disabled") == "true"
        try:
            await self.accounts.set_disabled(actor_of(request), account.job_number, disabled)
        except HotlineError as exc:
            errors = {"disabled": f"error.{exc.code}"}
            return self._edit(request, account, _form_from(account), errors, _st(exc))
        return views.see_other(f"/admin/agents/{account.job_number}?saved=1")

    async def reset_secret(self, request: web.Request) -> web.Response:
        """A new PIN (an account at a desk phone) or password, as the admin typed it."""
        account = await self._account(request)
        posted = await request.post()
        kind = "pin" if posted.get("kind") == "pin" else "password"
        secret = str(posted.get("secret", ""))[:1100]
        actor = actor_of(request)
        try:
            if kind == "pin":
                await self.accounts.reset_pin(actor, account.job_number, secret)
            else:
                await self.accounts.reset_password(actor, account.job_number, secret)
        except HotlineError as exc:
            errors = {"secret": f"error.{exc.code}"}
            return self._edit(request, account, _form_from(account), errors, _st(exc))
        return views.see_other(f"/admin/agents/{account.job_number}?saved={kind}")

    # ---- helpers -------------------------------------------------------------------------

    async def _account(self, request: web.Request) -> Account:
        job = inputs.job_number(request.match_info["job"], "the job number in the path")
        return await self.accounts.account(actor_of(request), job)

    def _queues(self) -> frozenset[str]:
        return self.accounts.queues

    def _common(self, request: web.Request, errors: Errors) -> dict[str, Any]:
        lang = guard.language_of(request)
        return {
            "errors": {
                k: (
                    v.removeprefix("error."),
                    i18n.t(lang, v) if v in i18n.CATALOG[lang] else _text(lang, v),
                )
                for k, v in errors.items()
            },
            "roles": ROLES,
            "queues": sorted(self._queues()),
            "notice": request.query.get("created") or request.query.get("saved") or "",
        }

    def handlers(self) -> dict[routes.Key, routes.Handler]:
        return {
            ("GET", "/admin/agents"): self.page,
            ("POST", "/admin/agents"): self.create,
            ("GET", "/admin/agents/{job}"): self.edit_page,
            ("POST", "/admin/agents/{job}"): self.edit,
            ("POST", "/admin/agents/{job}/disabled"): self.set_disabled,
            ("POST", "/admin/agents/{job}/secret"): self.reset_secret,
            **self.phone_pages.handlers(),
        }


def _text(lang: i18n.Language, message_id: str) -> str:
    """``error.<code>``: the code's words, or the generic ones."""
    return i18n.error_text(lang, message_id.removeprefix("error."))


def _st(exc: HotlineError) -> int:
    return status_for(exc.code)


async def _posted(request: web.Request, job_number: str | None = None) -> AccountForm:
    posted = await request.post()
    values = {k: str(v) for k, v in posted.items() if isinstance(v, str) and k != "queues"}
    if job_number is not None:
        values["job_number"] = job_number
    queues = [str(q)[:20] for q in posted.getall("queues", []) if isinstance(q, str)]
    return form_of(values, queues)


def _form_from(account: Account) -> AccountForm:
    return AccountForm(
        job_number=account.job_number,
        name=account.name,
        role=account.role.value,
        extension=account.extension or "",
        queues=tuple(q for q, _ in account.queues),
    )


def _shown(form: AccountForm) -> AccountForm:
    """What the page shows back: never a PIN or password."""
    return AccountForm(form.job_number, form.name, form.role, form.extension, form.queues)
