"""The admin's desk-phone page (``/admin/phones``): the published phones, a new one
(extension and SIP password), a new password, disable / enable. Each change goes
through ``PhoneService`` (the phones API's service), which publishes it to Asterisk
before it answers; a password is typed by the admin, never shown back nor stored (only
its digest is). The static phones of the rendered ``pjsip.conf`` are listed apart.
"""

from __future__ import annotations

from aiohttp import web

from core import inputs
from core.errors import HotlineError
from core.request_actor import actor_of
from deskphones.service import PhoneService
from pages import guard, i18n, routes, views
from web.errors import status_for

Errors = dict[str, str]  # field -> error code


class AdminPhones:
    def __init__(self, phones: PhoneService) -> None:
        self.phones = phones

    async def page(self, request: web.Request) -> web.Response:
        return await self._render(request, {}, "")

    async def _render(
        self,
        request: web.Request,
        errors: Errors,
        extension: str,
        *,
        at: str = "",
        status: int = 200,
    ) -> web.Response:
        lang = guard.language_of(request)
        context = {
            "phones": await self.phones.phones(actor_of(request)),
            "static": sorted(self.phones.static),
            "range": _range(self.phones.within),
            "errors": {k: (c, i18n.error_text(lang, c)) for k, c in errors.items()},
            "extension": extension,
            "at": at,  # the phone whose row holds the error
            "notice": request.query.get("saved", "")[:20],
        }
        return views.render(request, "admin_phones.html", context, status=status)

    async def add(self, request: web.Request) -> web.Response:
        posted = await request.post()
        extension = str(posted.get("extension", ""))[:40].strip()
        password = str(posted.get("password", ""))[:200]
        try:
            await self.phones.add(actor_of(request), extension, password)
        except HotlineError as exc:
            field = "password" if "password" in exc.code else "extension"
            shown = extension if extension.isdigit() else ""
            return await self._render(
                request, {field: exc.code}, shown, status=status_for(exc.code)
            )
        return views.see_other(f"/admin/phones?saved={extension}")

    async def change_password(self, request: web.Request) -> web.Response:
        extension = inputs.extension(request.match_info["extension"])
        password = str((await request.post()).get("password", ""))[:200]
        try:
            await self.phones.change_password(actor_of(request), extension, password)
        except HotlineError as exc:
            return await self._render(
                request, {"row": exc.code}, "", at=extension, status=status_for(exc.code)
            )
        return views.see_other(f"/admin/phones?saved={extension}")

    async def set_active(self, request: web.Request) -> web.Response:
        extension = inputs.extension(request.match_info["extension"])
        active = (await request.post()).get("active") == "true"
        try:
            await self.phones.set_active(actor_of(request), extension, active)
        except HotlineError as exc:
            return await self._render(
                request, {"row": exc.code}, "", at=extension, status=status_for(exc.code)
            )
        return views.see_other(f"/admin/phones?saved={extension}")

    def handlers(self) -> dict[routes.Key, routes.Handler]:
        return {
            ("GET", "/admin/phones"): self.page,
            ("POST", "/admin/phones"): self.add,
            ("POST", "/admin/phones/{extension}/password"): self.change_password,
            ("POST", "/admin/phones/{extension}/active"): self.set_active,
        }


def _range(extensions: frozenset[str]) -> str:
    """``3001-3999`` for the page (the lowest and highest)."""
    if not extensions:
        return ""
    ordered = sorted(extensions, key=lambda e: (len(e), e))
    return f"{ordered[0]}-{ordered[-1]}" if len(ordered) > 1 else ordered[0]
