"""Keeping the agents' lamp hints in Asterisk (an adapter; what they should be is
``hints.py``).

A hint that follows the session's desk phone is a dynamic extension: it lives in
Asterisk's memory only, and every dialplan reload (a published dial plan or desk phone,
an admin's ``dialplan reload``, an Asterisk restart) puts back the rendered one, which
shows the service's state alone. So the keeper

- puts an agent's hint in when its session starts or ends (``changed``, from the agent
  service's listeners; a burst of sign-ins makes one batch);
- every ``check_every_s`` asks Asterisk for the mark it puts next to the hints
  (``names.LAMP_HINTS_MARK``, one ``ExtensionState``): gone, the dialplan was reloaded,
  and every hint is compared (``ExtensionStateList``) and put right.

Adding an extension needs write ``system`` or ``command``, which the service's own AMI
user never has (asterisk.md §8); the keeper writes through a session of the publishing
user, opened for one batch and closed after it, as the dial-plan publisher does. Reads
go through the service's session. A lamp is never routing: a failure is logged and
tried again at the next check, nothing else waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager

from agent_state import hints
from agent_state.model import State
from agent_state.service import Change
from ami import AmiActionFailed, AmiClient, AmiError
from ami.actions import ExtensionState, ExtensionStateList
from core import names
from core.errors import ConfigError, UnsafeValueError
from core.logging import get_logger
from core.tasks import cancel_and_wait

log = get_logger("agent_state")

SessionOpener = Callable[[], AbstractAsyncContextManager[AmiClient]]


def valid_check_period(seconds: float) -> float:
    """``HOTLINE_LAMP_HINTS_CHECK_S``, or a ``ConfigError``."""
    if not 0 < seconds < math.inf:
        raise ConfigError(f"lamp_hints_check_s={seconds}: must be more than 0, and finite")
    return seconds


class HintKeeper:
    def __init__(
        self,
        ami: AmiClient,
        session: SessionOpener,
        signed_in: Callable[[], Mapping[str, hints.Seat]],
        *,
        check_every_s: float,
        gather_s: float = 0.2,
    ) -> None:
        self.ami = ami  # the service's session: reads only
        self.session = session  # the publishing user's, for the writes
        self.signed_in = signed_in  # job number → the session's desk phone and lamp queue
        self.check_every_s = valid_check_period(check_every_s)
        # a session that starts waits this long for others (8:00's sign-ins: one batch,
        # one session of the publishing user, not one each)
        self.gather_s = gather_s
        self.written = 0  # hints put in since the start
        self.checks = 0  # mark checks done
        self._pending: set[str] = set()  # job numbers whose session started or ended
        self._whole = True  # compare every hint (at the start; the mark was gone)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="lamp-hints")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    def changed(self, change: Change) -> None:
        """An agent-service listener: a session that started, ended or moved phones."""
        before, after = change.before, change.after
        signed_in = (before.state is State.LOGGED_OUT) != (after.state is State.LOGGED_OUT)
        if signed_in or before.phone != after.phone:
            self._pending.add(change.after.job_number)
            self._wake.set()

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.check_every_s):
                    await self._wake.wait()
                await asyncio.sleep(self.gather_s)
            self._wake.clear()
            if not self.ami.is_ready:
                continue  # Asterisk away: its restart wipes the mark, the next check sees it
            try:
                await self.keep()
            except AmiError as exc:
                log.warning("lamp hints not kept; next check tries again", error=exc.code)
            except Exception:  # a lamp is never worth the keeper: compare all next time
                log.exception("lamp hints not kept; next check compares them all")
                self._whole = True

    async def keep(self) -> None:
        """One round: the mark checked, then the hints that need it put in."""
        if not self._whole:
            self._whole = not await self._mark_there()
            self.checks += 1
        if self._whole:
            self._pending.clear()  # the comparison covers them
            shown = await self._shown()
            todo = hints.fixes(self.signed_in(), shown)
            await self._write(_lines(todo.items()), mark=True)
            self._whole = False
            return
        if not self._pending:
            return
        jobs, self._pending = self._pending, set()
        seated = self.signed_in()
        try:
            await self._write(_lines((job, seated.get(job)) for job in sorted(jobs)))
        except AmiError:
            self._pending |= jobs
            raise

    async def _mark_there(self) -> bool:
        reply = await self.ami.send(ExtensionState(names.LAMP_HINTS_MARK, names.AGENTS))
        return bool(reply.headers.get("Hint"))

    async def _shown(self) -> dict[str, str]:
        try:
            reply = await self.ami.send(ExtensionStateList())
        except AmiActionFailed:  # "No dialplan hints are available"
            return {}
        return hints.present(reply.events)

    async def _write(self, lines: list[str], *, mark: bool = False) -> None:
        """The lines through a session of the publishing user. The mark goes first: a
        reload at any moment after it wipes it too, so the next check compares again."""
        if not lines and not mark:
            return
        async with self.session() as ami:
            if mark and not hints.took(await ami.command(hints.mark_line())):
                raise AmiActionFailed("Asterisk did not take the lamp hints' mark")
            for line in lines:
                output = await ami.command(line)
                if hints.took(output):
                    self.written += 1
                else:
                    log.warning("Asterisk did not take a lamp hint", line=line, said=output[:2])
        if lines:
            log.info("lamp hints put in", hints=len(lines), whole=mark)


def _lines(wanted: Iterable[tuple[str, hints.Seat | None]]) -> list[str]:
    """The CLI lines for these hints; one that is not digits is logged and left out (it
    never reaches Asterisk's CLI, and never holds the other agents' lamps back)."""
    lines = []
    for job, seat in wanted:
        try:
            lines.append(hints.hint_line(job, seat))
        except UnsafeValueError as exc:
            log.error("lamp hint left out: not digits or a name", agent=job, error=exc.code)
    return lines
